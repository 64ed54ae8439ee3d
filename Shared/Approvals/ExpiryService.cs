using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Closes requests nobody decided within <see cref="ProcessingOptions.PendingExpiry"/>: they become Expired (the change
/// stays reverted) and Slack is told. A decision racing the expiry wins or loses on the ETag like any other writer.
/// </summary>
public sealed partial class ExpiryService(
    IRequestStore requests,
    IRequestNotifier notifier,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ExpiryService> logger)
{
    public async Task<int> ExpireStaleAsync(CancellationToken cancellationToken)
    {
        var expiry = options.Value.PendingExpiry;
        if (expiry <= TimeSpan.Zero)
        {
            return 0;
        }
        var cutoff = time.GetUtcNow() - expiry;
        var stale = new List<string>();
        await foreach (var r in requests.ListAsync(RequestStatus.Pending, cancellationToken))
        {
            if (r.CreatedAt <= cutoff)
            {
                stale.Add(r.Id);
            }
        }
        var expired = 0;
        foreach (var id in stale)
        {
            var stored = await requests.GetAsync(id, cancellationToken);
            if (stored is not { Value.Status: RequestStatus.Pending })
            {
                continue;
            }
            stored.Value.Expire(time.GetUtcNow());
            try
            {
                await requests.UpdateAsync(stored.Value, stored.ETag, cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                continue; // decided (or otherwise changed) meanwhile: not ours to expire
            }
            expired++;
            LogExpired(logger, id, stored.Value.AccountId, stored.Value.GroupId);
            await notifier.RequestChangedAsync(stored.Value, cancellationToken);
        }
        return expired;
    }

    [LoggerMessage(501, LogLevel.Information, "Request {ApprovalId} expired undecided ({AccountId}, {GroupId}); the change stays reverted")]
    private static partial void LogExpired(ILogger logger, string approvalId, string accountId, string? groupId);
}
