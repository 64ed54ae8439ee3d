using System.Security.Cryptography;
using System.Text;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>
/// One batch of requests shown in one approvers' message and one monitoring message, keyed by the lead request's id;
/// written only by the notification code, read by the Slack endpoint to tie a click to its message.
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

    /// <summary>The home partition the batch's rows live in (<see cref="SlackRows.HomeOf"/>).</summary>
    public required string Home { get; init; }

    /// <summary>Per member, the outcomes already posted to the monitoring thread (so a redelivery posts nothing twice).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RequestStatus>> Notified { get; init; } = new Dictionary<string, IReadOnlyList<RequestStatus>>();

    /// <summary>The render posting the batch's first message(s) now (a conditional-write claim): another performer that finds it live
    /// does not post.</summary>
    public SlackPostClaim? Posting { get; init; }

    public static SlackThread Start(string home, string leadId, string batchKey, DateTimeOffset now) =>
        new() { Home = home, LeadId = leadId, BatchKey = batchKey, OpenedAt = now, MemberIds = [leadId] };

    /// <summary>True when the approvers' message at <paramref name="channel"/>/<paramref name="ts"/> is this batch's and shows <paramref name="requestId"/>.</summary>
    public bool ShowsInApproverMessage(string channel, string ts, string requestId) =>
        ApproverMessage is { } m && m.Channel == channel && m.Ts == ts && MemberIds.Contains(requestId);

    public IReadOnlyList<RequestStatus> NotifiedOf(string requestId) => Notified.GetValueOrDefault(requestId) ?? [];

    public SlackThread WithNotified(string requestId, IEnumerable<RequestStatus> statuses) =>
        this with { Notified = new Dictionary<string, IReadOnlyList<RequestStatus>>(Notified) { [requestId] = NotifiedOf(requestId).Union(statuses).ToArray() } };
}

/// <summary>A render's claim to post a batch's first message(s): its token and when the claim lapses (a crashed poster).</summary>
public sealed record SlackPostClaim(string By, DateTimeOffset Until);

/// <summary>The batch currently open for a batch key (one row per key, so finding it is a point read).</summary>
public sealed record OpenBatch(string LeadId, DateTimeOffset OpenedAt);

/// <summary>Which batch a request is shown in.</summary>
public sealed record ThreadMembership(string LeadId);

/// <summary>Approvals recorded while a second approver is needed (the requester could not be matched to a Slack user).</summary>
public sealed record ApprovalVotes(IReadOnlyList<string> ApproverIds);

/// <summary>
/// The keys of the Slack state rows. Batch rows (<c>open-&lt;kind&gt;</c>, <c>thread-&lt;lead&gt;</c>,
/// <c>member-&lt;id&gt;</c>) live in the home partition of a group and requester, so a new batch is one transaction.
/// </summary>
public static class SlackRows
{
    /// <summary>The home partition: a hash of account, region, group and requester, none of which a request's later states
    /// change.</summary>
    public static string HomeOf(ChangeRequest r) =>
        "home-" + Hash(string.Join('|', r.AccountId, r.Region, r.GroupId ?? r.GroupName, r.Requester.Arn ?? r.Requester.PolicyArn));

    public static SlackRow<SlackThread> Thread(string home, string leadId) => new(home, "thread-" + leadId);

    public static SlackRow<ThreadMembership> Member(string home, string requestId) => new(home, "member-" + requestId);

    public static SlackRow<SlackThread> ThreadOf(SlackThread thread) => Thread(thread.Home, thread.LeadId);

    /// <summary>The open-batch pointer of the request's batch key, in its home partition (row = <c>open-</c> + the key's kind).</summary>
    public static SlackRow<OpenBatch> Open(ChangeRequest r) => new(HomeOf(r), "open-" + Kind(r));

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..40];

    /// <summary>Approvals of one request (<paramref name="all"/>: of "Approve all" on the batch it leads).</summary>
    public static SlackRow<ApprovalVotes> Votes(string requestId, bool all) => new(requestId, all ? "votes-all" : "votes");

    /// <summary>Requests with the same key may share one Slack message; a revert failure is an alert of its own and never shares.</summary>
    public static string BatchKey(ChangeRequest r) => string.Join('|', r.AccountId, r.Region, r.GroupId ?? r.GroupName, r.Requester.Arn ?? r.Requester.PolicyArn, Kind(r));

    private static string Kind(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Exempt => "exempt",
        RequestStatus.RevertFailed => "alert:" + r.Id,
        RequestStatus.Unmatched or RequestStatus.Reported => "monitoring",
        _ => "policed",
    };
}
