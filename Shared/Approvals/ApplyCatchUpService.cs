using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// The catch-up for an apply that was never queued (the <c>RequeueApplies</c> timer, every <see cref="Interval"/>):
/// a request stays Approved only between its approval and its apply, so one still Approved <see cref="StuckAfter"/>
/// after it was decided lost its apply on the way to the queue (the queue failed, hung, or a crash came between the
/// decision's write and the send; see <see cref="ApplyEnqueue"/>). Its apply is queued again. A duplicate is harmless:
/// the apply is idempotent (the approved state remembers the requests it holds; a second apply finds the request
/// Applied). One query over the Status column per tick; nothing else is read.
/// </summary>
public sealed partial class ApplyCatchUpService(
    IRequestStore requests,
    IQueueSender queue,
    TimeProvider time,
    ILogger<ApplyCatchUpService> logger,
    BridgeTelemetry? telemetry = null)
{
    /// <summary>How often the timer runs (its schedule says the same).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>How long after its decision an Approved request counts as stuck: well past a queued apply's pickup.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(5);

    /// <summary>The longest an approval whose apply was lost waits for the catch-up: stuck, plus one tick.</summary>
    public static TimeSpan WorstDelay => StuckAfter + Interval;

    /// <summary>Queues the apply of every request Approved for longer than <see cref="StuckAfter"/>; returns how many were queued.</summary>
    public async Task<int> RequeueStuckAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - StuckAfter;
        var stuck = new List<ChangeRequest>();
        await foreach (var r in requests.ListAsync(RequestStatus.Approved, cancellationToken))
        {
            if ((r.DecidedAt ?? r.CreatedAt) <= cutoff)
            {
                stuck.Add(r);
            }
        }
        var queued = 0;
        foreach (var r in stuck)
        {
            // One request's failure must not hold up the others; the next tick tries again.
            if (await ApplyEnqueue.TryAsync(queue, r.Id, "catch_up", telemetry, cancellationToken) is { } failure)
            {
                LogStillNotQueued(logger, failure, r.Id, r.AccountId, r.GroupId);
                continue;
            }
            queued++;
            LogRequeued(logger, r.Id, r.AccountId, r.GroupId, r.DecidedAt);
        }
        return queued;
    }

    [LoggerMessage(1331, LogLevel.Warning, "Request {RequestId} ({AccountId}, {GroupId}) approved at {DecidedAt} was never applied: its apply is queued again")]
    private static partial void LogRequeued(ILogger logger, string requestId, string accountId, string? groupId, DateTimeOffset? decidedAt);

    [LoggerMessage(1332, LogLevel.Error, "Request {RequestId} ({AccountId}, {GroupId}) is approved and its apply still cannot be queued; next tick tries again")]
    private static partial void LogStillNotQueued(ILogger logger, Exception exception, string requestId, string accountId, string? groupId);
}
