using System.Security.Cryptography;
using System.Text;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>
/// One batch of requests shown in one approvers' message and one monitoring message (a batch of one is the plain
/// single-request message). Keyed by the lead request's id; written only by the notification code, read by the
/// Slack endpoint to tie a click to the message it came from.
/// </summary>
public sealed record SlackThread
{
    public required string LeadId { get; init; }

    public required string BatchKey { get; init; }

    public required DateTimeOffset OpenedAt { get; init; }

    /// <summary>Every request in the batch, the lead first.</summary>
    public IReadOnlyList<string> MemberIds { get; init; } = [];

    public SlackMessageRef? ApproverMessage { get; init; }

    public SlackMessageRef? MonitoringMessage { get; init; }

    /// <summary>When a debounced re-render of the batch's messages is due (null: none).</summary>
    public DateTimeOffset? RenderScheduledFor { get; init; }

    /// <summary>
    /// The home partition the batch's rows live in (<see cref="SlackRows.HomeOf"/>); null for a batch written by the
    /// previous layout, whose thread row is <c>&lt;lead id&gt;/thread</c>. Where to write the row back: <see cref="SlackRows.ThreadOf"/>.
    /// </summary>
    public string? Home { get; init; }

    /// <summary>Per member, the outcomes already posted to the monitoring thread (so a redelivery posts nothing twice).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RequestStatus>> Notified { get; init; } = new Dictionary<string, IReadOnlyList<RequestStatus>>();

    /// <summary>
    /// Per member, the <see cref="ChangeRequest.UpdatedAt"/> of the latest request state the notification path has handled
    /// for it (<see cref="WithVersion"/>). A render trusts a member's <see cref="ThreadMembership.Snapshot"/> only when its
    /// <c>UpdatedAt</c> equals this; <see cref="Untrusted"/> means "always read the request". Missing (rows of the
    /// previous layout): read.
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Versions { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>The version recorded for a member whose states arrived out of order: no snapshot matches it, so the request is read.</summary>
    public static readonly DateTimeOffset Untrusted = DateTimeOffset.MaxValue;

    public static SlackThread Start(string leadId, string batchKey, DateTimeOffset now) =>
        new() { LeadId = leadId, BatchKey = batchKey, OpenedAt = now, MemberIds = [leadId] };

    /// <summary>True when the approvers' message at <paramref name="channel"/>/<paramref name="ts"/> is this batch's and shows <paramref name="requestId"/>.</summary>
    public bool ShowsInApproverMessage(string channel, string ts, string requestId) =>
        ApproverMessage is { } m && m.Channel == channel && m.Ts == ts && MemberIds.Contains(requestId);

    public IReadOnlyList<RequestStatus> NotifiedOf(string requestId) => Notified.GetValueOrDefault(requestId) ?? [];

    /// <summary>
    /// This thread with the notification path having handled <paramref name="requestId"/> as of <paramref name="updatedAt"/>:
    /// none recorded or a later one → recorded; the same → unchanged (this instance); an earlier one (a redelivered or
    /// reordered notification: which state is latest is then not known here) → <see cref="Untrusted"/>, so renders read
    /// the request. <paramref name="trusted"/> false (the state was not rendered as current) → <see cref="Untrusted"/> too.
    /// </summary>
    public SlackThread WithVersion(string requestId, DateTimeOffset updatedAt, bool trusted = true)
    {
        var next = !trusted ? Untrusted
            : Versions.TryGetValue(requestId, out var known) ? (updatedAt == known ? known : updatedAt > known ? updatedAt : Untrusted)
            : updatedAt;
        if (Versions.TryGetValue(requestId, out var current) && current == next)
        {
            return this;
        }
        var versions = new Dictionary<string, DateTimeOffset>(Versions) { [requestId] = next };
        return this with { Versions = versions };
    }

    public SlackThread WithNotified(string requestId, IEnumerable<RequestStatus> statuses)
    {
        var notified = new Dictionary<string, IReadOnlyList<RequestStatus>>(Notified)
        {
            [requestId] = NotifiedOf(requestId).Union(statuses).ToArray(),
        };
        return this with { Notified = notified };
    }
}

/// <summary>The batch currently open for a batch key (one row per key, so finding it is a point read).</summary>
public sealed record OpenBatch(string LeadId, DateTimeOffset OpenedAt);

/// <summary>
/// Which batch a request is shown in, and (<paramref name="Snapshot"/>) the request as the notification that placed it
/// carried it, written in the same transaction as the membership (no extra operation). A render uses the snapshot in place
/// of a request read only while the thread's <see cref="SlackThread.Versions"/> entry for it equals its
/// <see cref="ChangeRequest.UpdatedAt"/>; rows without one (the previous layout, or a request placed without it) are read.
/// </summary>
public sealed record ThreadMembership(string LeadId, ChangeRequest? Snapshot = null);

/// <summary>Approvals recorded while a second approver is needed (the requester could not be matched to a Slack user).</summary>
public sealed record ApprovalVotes(IReadOnlyList<string> ApproverIds);

/// <summary>
/// The keys of the Slack state rows. Batch rows live in the <b>home partition</b> of a group and requester
/// (<see cref="HomeOf"/>): the key's pointers (<c>open-&lt;kind&gt;</c>), the threads (<c>thread-&lt;lead id&gt;</c>) and the
/// memberships (<c>member-&lt;request id&gt;</c>), so a new batch is one entity-group transaction (docs/notification-partition-design.md).
/// The previous layout (thread and membership in the request's own partition, the pointer in a partition per batch key)
/// is only read, as a fallback for rows written before the change (<see cref="SlackThreadLookup"/>), and deleted by retention.
/// </summary>
public static class SlackRows
{
    /// <summary>Previous layout: the thread row of batch <paramref name="leadId"/> (read as a fallback only).</summary>
    public static SlackRow<SlackThread> Thread(string leadId) => new(leadId, "thread");

    /// <summary>Previous layout: the membership row of a request (read as a fallback only).</summary>
    public static SlackRow<ThreadMembership> Member(string requestId) => new(requestId, "member");

    /// <summary>
    /// The home partition of a request: a hash of its account, region, group and requester (the batch key without its
    /// kind). The kind is fixed at a request's first notice and later states keep the rest, so it never changes.
    /// </summary>
    public static string HomeOf(ChangeRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return "home-" + Hash(string.Join('|', r.AccountId, r.Region, r.GroupId ?? r.GroupName, r.Requester.Arn ?? r.Requester.PolicyArn));
    }

    /// <summary>The thread row of batch <paramref name="leadId"/> in home partition <paramref name="home"/>.</summary>
    public static SlackRow<SlackThread> Thread(string home, string leadId) => new(home, "thread-" + leadId);

    /// <summary>The membership row of a request in its home partition <paramref name="home"/>.</summary>
    public static SlackRow<ThreadMembership> Member(string home, string requestId) => new(home, "member-" + requestId);

    /// <summary>Where <paramref name="thread"/> is stored: its home partition, or the previous layout's row.</summary>
    public static SlackRow<SlackThread> ThreadOf(SlackThread thread)
    {
        ArgumentNullException.ThrowIfNull(thread);
        return thread.Home is { } home ? Thread(home, thread.LeadId) : Thread(thread.LeadId);
    }

    /// <summary>The open-batch pointer of the request's batch key, in its home partition (row = <c>open-</c> + the key's kind).</summary>
    public static SlackRow<OpenBatch> Open(ChangeRequest r) => new(HomeOf(r), "open-" + Kind(r));

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..40];

    /// <summary>Approvals of one request (<paramref name="all"/>: of "Approve all" on the batch it leads).</summary>
    public static SlackRow<ApprovalVotes> Votes(string requestId, bool all) => new(requestId, all ? "votes-all" : "votes");

    /// <summary>Previous layout: partition = a hash of the batch key (it holds ARNs with characters a key may not), row = "open".</summary>
    public static SlackRow<OpenBatch> Open(string batchKey) => new("batch-" + Hash(batchKey), "open");

    /// <summary>
    /// Requests with the same key may share one Slack message: same account, region, group and requester, and the same
    /// kind of handling. A revert failure is an alert of its own and never shares.
    /// </summary>
    public static string BatchKey(ChangeRequest r) => string.Join('|', r.AccountId, r.Region, r.GroupId ?? r.GroupName, r.Requester.Arn ?? r.Requester.PolicyArn, Kind(r));

    private static string Kind(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Exempt => "exempt",
        RequestStatus.RevertFailed => "alert:" + r.Id,
        RequestStatus.Unmatched or RequestStatus.Reported => "monitoring",
        _ => "policed",
    };
}
