using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// The rules <see cref="NotificationService"/> uses to spend fewer round trips: when a request carried in its
/// notification may stand in for a read of the store, and what one render wrote back in a single conditional write.
/// </summary>
internal static class NotificationState
{
    /// <summary>
    /// True when <paramref name="carried"/> (the request as the bridge stored it when it sent the notification) is not
    /// older than anything the batch's messages already showed of it, so rendering it cannot move Slack backwards.
    /// Nothing shown yet: it is current. Shown before: it is current when its stage is at least the latest outcome the
    /// monitoring thread was told (every state after the first is such an outcome). Without a monitoring thread to tell
    /// by, it is not trusted and the store is read.
    /// </summary>
    public static bool IsCurrentFor(SlackThread thread, ChangeRequest carried)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(carried);
        if (thread.ApproverMessage is null && thread.MonitoringMessage is null)
        {
            return true;
        }
        if (thread.MonitoringMessage is null)
        {
            return false;
        }
        var told = thread.NotifiedOf(carried.Id);
        return told.Count == 0 || Stage(carried.Status) >= told.Max(Stage);
    }

    /// <summary>A request's states in the order it can pass through them: first state, decision (or revert failure), application.</summary>
    public static int Stage(RequestStatus status) => status switch
    {
        RequestStatus.Reverting => -1,
        RequestStatus.Approved or RequestStatus.Denied or RequestStatus.Expired or RequestStatus.RevertFailed => 1,
        RequestStatus.Applied or RequestStatus.ApplyFailed => 2,
        _ => 0,
    };

    /// <summary>The first state a request is notified in (so it has most likely not been placed in a batch yet).</summary>
    public static bool IsFirstNotice(RequestStatus status) =>
        status is RequestStatus.Pending or RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported or RequestStatus.RevertFailed;

    /// <summary>
    /// <paramref name="thread"/> with what one render did: messages posted (kept if another render recorded one
    /// first), outcomes told, and the debounce schedule cleared when <paramref name="clearSchedule"/>. Null: nothing to write.
    /// </summary>
    public static SlackThread? Record(SlackThread thread, RenderOutcome done, bool clearSchedule)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(done);
        var next = thread;
        if (done.ApproverMessage is { } a && next.ApproverMessage is null)
        {
            next = next with { ApproverMessage = a };
        }
        if (done.MonitoringMessage is { } m && next.MonitoringMessage is null)
        {
            next = next with { MonitoringMessage = m };
        }
        foreach (var (id, statuses) in done.Told)
        {
            if (statuses.Except(next.NotifiedOf(id)).Any())
            {
                next = next.WithNotified(id, statuses);
            }
        }
        if (clearSchedule && next.RenderScheduledFor is not null)
        {
            next = next with { RenderScheduledFor = null };
        }
        return ReferenceEquals(next, thread) ? null : next;
    }
}

/// <summary>What one render of a batch did in Slack, to be recorded on its thread row in one write.</summary>
internal sealed class RenderOutcome
{
    public SlackMessageRef? ApproverMessage { get; set; }

    public SlackMessageRef? MonitoringMessage { get; set; }

    public List<(string RequestId, IReadOnlyList<RequestStatus> Statuses)> Told { get; } = [];
}

/// <summary>
/// The batch a request is shown in, the debounced render its placement scheduled (null: none), and whether <b>this call</b>
/// created the request's membership row (<paramref name="First"/>: its first placement). The membership row is inserted
/// exactly once per request (an insert-if-absent, alone or in the batch-start transaction), so <paramref name="First"/>
/// is true for one call per request whatever the redeliveries: the claim for things done once per request (the reason DM).
/// A batch started by this call is written holding the claim to post its first messages (<paramref name="Claim"/>).
/// </summary>
internal sealed record Placement(Stored<SlackThread> Thread, DateTimeOffset? ScheduledFor = null, bool First = false, string? Claim = null);
