using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>
/// Changes stored requests through the one conditional-update primitive (<see cref="RequestUpdates"/>) and tells Slack
/// — in this one place — whenever a request's status changed.
/// </summary>
public sealed class RequestLifecycle(IRequestStore requests, IRequestNotifier notifier)
{
    /// <summary>Stores a new request, or returns the one already stored under its id (nothing is overwritten).</summary>
    public async Task<(Stored<ChangeRequest> Request, bool Created)> OpenAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        var (stored, created) = await requests.AddOrGetAsync(request, cancellationToken).ConfigureAwait(false);
        if (created && stored.Value.Status != RequestStatus.Reverting)
        {
            await notifier.RequestChangedAsync(stored.Value, cancellationToken).ConfigureAwait(false);
        }
        return (stored, created);
    }

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

    private async Task TellAsync(RequestUpdate? update, CancellationToken cancellationToken)
    {
        if (update is { StatusChanged: true })
        {
            await notifier.RequestChangedAsync(update.Request, cancellationToken).ConfigureAwait(false);
        }
    }
}
