using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Processing;

/// <summary>
/// Changes stored requests through the one conditional-update primitive (<see cref="RequestUpdates"/>) and tells Slack
/// — in this one place — whenever a request's status changed.
/// </summary>
public sealed class RequestLifecycle(IRequestStore requests, IRequestNotifier notifier, BridgeTelemetry? telemetry = null)
{
    /// <summary>Stores a new request, or returns the one already stored under its id (nothing is overwritten).</summary>
    public async Task<(Stored<ChangeRequest> Request, bool Created)> OpenAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        var (stored, created) = await requests.AddOrGetAsync(request, cancellationToken).ConfigureAwait(false);
        if (created && stored.Value.Status != RequestStatus.Reverting)
        {
            Count(stored.Value.Status);
            await notifier.RequestChangedAsync(stored.Value, cancellationToken).ConfigureAwait(false);
        }
        return (stored, created);
    }

    /// <summary>The stored request with that id, if any (a point read).</summary>
    public Task<Stored<ChangeRequest>?> FindAsync(string requestId, CancellationToken cancellationToken) => requests.GetAsync(requestId, cancellationToken);

    /// <summary>Applies <paramref name="change"/> (false: nothing to write) and tells Slack if the status changed. Null: no such request.</summary>
    public async Task<RequestUpdate?> ChangeAsync(string requestId, Func<ChangeRequest, bool> change, CancellationToken cancellationToken)
    {
        var update = await requests.UpdateAsync(requestId, change, cancellationToken).ConfigureAwait(false);
        await TellAsync(update, cancellationToken).ConfigureAwait(false);
        return update;
    }

    /// <summary>As <see cref="ChangeAsync(string, Func{ChangeRequest, bool}, CancellationToken)"/>, from a copy already read.</summary>
    public async Task<RequestUpdate> ChangeAsync(Stored<ChangeRequest> stored, Func<ChangeRequest, bool> change, CancellationToken cancellationToken)
    {
        var update = await requests.UpdateAsync(stored, change, cancellationToken).ConfigureAwait(false);
        await TellAsync(update, cancellationToken).ConfigureAwait(false);
        return update;
    }

    private void Count(RequestStatus status)
    {
        telemetry?.Requests.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
        if (status is RequestStatus.RevertFailed or RequestStatus.ApplyFailed)
        {
            telemetry?.Failures.Add(1, new KeyValuePair<string, object?>("kind", status == RequestStatus.RevertFailed ? "revert" : "apply"));
        }
    }

    private async Task TellAsync(RequestUpdate? update, CancellationToken cancellationToken)
    {
        if (update is { StatusChanged: true })
        {
            Count(update.Request.Status);
            await notifier.RequestChangedAsync(update.Request, cancellationToken).ConfigureAwait(false);
        }
    }
}
