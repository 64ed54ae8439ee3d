using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Closes requests nobody decided within <see cref="ProcessingOptions.PendingExpiry"/>: they become Expired (the change
/// stays reverted). A tick reads only the pending index, never the requests table: its cost does not grow with history.
/// </summary>
public sealed partial class ExpiryService(
    IPendingRequestsIndex pending,
    RequestLifecycle lifecycle,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ExpiryService> logger)
{
    /// <summary>At most this many requests expire per tick (the next tick, 15 minutes later, takes the rest).</summary>
    public const int MaxPerTick = 1000;

    public async Task<int> ExpireStaleAsync(CancellationToken cancellationToken)
    {
        var expiry = options.Value.PendingExpiry;
        if (expiry <= TimeSpan.Zero)
        {
            return 0;
        }
        var cutoff = time.GetUtcNow() - expiry;
        var stale = await pending.ListPendingCreatedByAsync(cutoff, MaxPerTick, cancellationToken).ToListAsync(cancellationToken);
        var expired = 0;
        foreach (var id in stale)
        {
            // A decision racing the expiry wins or loses on the ETag; a request no longer pending is not ours to expire.
            var update = await lifecycle.ChangeAsync(id, r =>
            {
                if (r.Status != RequestStatus.Pending || r.CreatedAt > cutoff)
                {
                    return false;
                }
                r.Expire(time.GetUtcNow());
                return true;
            }, cancellationToken);
            if (update is { Written: true })
            {
                expired++;
                LogExpired(logger, id, update.Request.AccountId, update.Request.GroupId);
            }
        }
        return expired;
    }

    [LoggerMessage(501, LogLevel.Information, "Request {RequestId} expired undecided ({AccountId}, {GroupId}); the change stays reverted")]
    private static partial void LogExpired(ILogger logger, string requestId, string accountId, string? groupId);
}
