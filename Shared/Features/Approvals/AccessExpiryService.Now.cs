using Microsoft.Extensions.Logging;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Shared.Approvals;

public sealed partial class AccessExpiryService
{
    /// <summary>
    /// Ends one due entry now, off the reconcile queue (an approver's early revoke queues it, so AWS follows within
    /// seconds instead of at the next tick). The index row is the authority: only a row still stored and due is acted
    /// on, so a message for work the tick finished already (or a forged one for access not yet due) does nothing. The
    /// work is the tick's own (<see cref="EndAsync"/>), and a failure is recorded on the row the same way: the next tick
    /// tries again. A member role that cannot be assumed is a skipped account, as in the tick: never an exception
    /// that would retry the message into a poison queue. Returns what happened: true when the row was found and finished.
    /// </summary>
    public async Task<bool> EndNowAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = time.GetUtcNow();
        var row = await index.FindAsync(entry, cancellationToken);
        if (row is null || row.DueAt > now)
        {
            LogNothingToEnd(logger, entry.RequestId, entry.GroupId, row is null ? "its row is gone (done already)" : "it is not due yet");
            return false;
        }
        try
        {
            return await EndAsync(row, now, cancellationToken) is EntryOutcome.Ended or EntryOutcome.Rescheduled or EntryOutcome.Dropped;
        }
        catch (Exception ex) when (AccountSkips.RoleMissing(ex) is { } missing)
        {
            // The member role is missing there: the same skipped account as the tick and the sweep (its state, one warning
            // a day, the request's thread told once), the row moved to the sweep's interval — not a failure, not a retry.
            await SkippedAsync(row, missing, now, cancellationToken);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await FailedAsync(row, ex.Message, ex, cancellationToken);
            return false;
        }
    }

    [LoggerMessage(1305, LogLevel.Information, "Queued end of access for request {RequestId} on {GroupId}: nothing to do, {Why}")]
    private static partial void LogNothingToEnd(ILogger logger, string requestId, string groupId, string why);
}
