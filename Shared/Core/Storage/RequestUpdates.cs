using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>The one way a stored request changes: callers pass the change, never their own retry loop (<see
/// cref="ConditionalUpdate"/>).</summary>
public static class RequestUpdates
{
    /// <summary>
    /// Applies <paramref name="change"/> to the stored request and writes it; false from the change: nothing to write (it
    /// may run again on a fresh copy). Null: no such request. Throws <see cref="ConcurrencyConflictException"/> after
    /// <see cref="ConditionalUpdate.MaxAttempts"/> lost races.
    /// </summary>
    public static async Task<RequestUpdate?> UpdateAsync(this IRequestStore store, string requestId, Func<ChangeRequest, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(change);
        var stored = await store.GetAsync(requestId, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : await store.UpdateAsync(stored, change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="UpdateAsync(IRequestStore, string, Func{ChangeRequest, bool}, CancellationToken)"/>, starting from a copy already read.</summary>
    public static async Task<RequestUpdate> UpdateAsync(this IRequestStore store, Stored<ChangeRequest> stored, Func<ChangeRequest, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(stored);
        var before = stored.Value.Status;
        var id = stored.Value.Id;
        // The status the change was applied to: a re-read copy may already hold another writer's transition.
        var (result, written) = await ConditionalUpdate.RunAsync(stored, r => { before = r.Status; return change(r); }, store.ReplaceAsync, ct => store.GetAsync(id, ct), cancellationToken)
            .ConfigureAwait(false);
        // The effects this write raised (the lifecycle's nudge names them); the copy then counts as stored as it is.
        var raised = written ? result.Value.RaisedEffects.ToArray() : [];
        result.Value.AcceptWritten();
        return new RequestUpdate(result, written, before) { RaisedEffects = raised };
    }
}

/// <summary>The outcome of <see cref="RequestUpdates.UpdateAsync(IRequestStore, string, Func{ChangeRequest, bool}, CancellationToken)"/>.</summary>
public sealed record RequestUpdate(Stored<ChangeRequest> Stored, bool Written, RequestStatus StatusBefore)
{
    public ChangeRequest Request => Stored.Value;

    public bool StatusChanged => Written && Request.Status != StatusBefore;

    /// <summary>The ids of the effects the write raised (empty when nothing was written).</summary>
    public IReadOnlyList<long> RaisedEffects { get; init; } = [];
}
