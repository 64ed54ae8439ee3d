using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

public enum DecisionOutcome
{
    Unauthenticated,
    BadRequest,
    Ignored,
    UnknownRequest,
    /// <summary>The click came from a message that does not show that request (a forged or stale button): nothing changed.</summary>
    NotOnThisMessage,
    NotAnApprover,
    /// <summary>Slack could not be asked in time who the clicker is (user group, requester e-mail): nothing changed.</summary>
    Unverified,
    SelfApproval,
    /// <summary>The requester could not be matched to a Slack user and Slack:UnresolvedRequester=Block: approving in Slack is refused.</summary>
    RequesterUnresolved,
    /// <summary>The requester could not be matched to a Slack user: this approval is recorded, a second approver is needed.</summary>
    AwaitingSecondApprover,
    AlreadyDecided,
    /// <summary>The click carries a duration Approvals:Durations does not offer (a forged or outdated button): nothing changed.</summary>
    DurationNotOffered,
    /// <summary>Only the requester may ask to extend their access: nothing changed.</summary>
    NotTheRequester,
    Approved,
    Denied,
}

/// <summary>
/// What a click led to. The endpoint answers 401 for a bad signature, 400 for a bad payload, else 200, and sends
/// <see cref="Reply"/> (if any) privately to the clicker.
/// </summary>
public sealed record DecisionResult(DecisionOutcome Outcome, string Detail, int Decided = 0, string? Reply = null)
{
    public int StatusCode => Outcome switch
    {
        DecisionOutcome.Unauthenticated => 401,
        DecisionOutcome.BadRequest => 400,
        _ => 200,
    };

    /// <summary>A JSON body to answer Slack with (a modal's <c>response_action</c>); null: an empty 200.</summary>
    public string? ResponseJson { get; init; }
}

/// <summary>
/// A decision's conditional write failed or was cut short by the click's deadline after it was sent: it may or may not
/// have been recorded. The endpoint answers "not confirmed" (never "nothing changed").
/// </summary>
public sealed class DecisionUnconfirmedException(string requestId, Exception inner)
    : Exception($"The decision on {requestId} was sent to storage but not confirmed.", inner)
{
    public string RequestId { get; } = requestId;
}

/// <summary>
/// A click failed (storage down or slow, or the click's deadline) before anything was written for it: nothing was
/// recorded. The endpoint answers so; the approver clicks again.
/// </summary>
public sealed class DecisionNotRecordedException(string requestId, Exception inner)
    : Exception($"Nothing was recorded for the click on {requestId}.", inner)
{
    public string RequestId { get; } = requestId;
}

/// <summary>
/// Decides on a click that the endpoint has verified and routed: checks the click belongs to the message that shows
/// the request (<see cref="SlackThread"/>), that the clicker is an approver and not the requester approving their own
/// change, then records the decision through <see cref="RequestLifecycle"/> with a conditional write per request (of
/// any number of concurrent clicks exactly one wins). An approval's transition records its apply, the render of its
/// messages and (break-glass) the loud notice as effects on the row, in that same write: the click writes the request
/// row and sends one best-effort, bounded nudge (<see cref="RequestLifecycle"/>), so its answer is true whatever the
/// queue does. No AWS work, no queueing of its own and no Slack posts happen here.
/// </summary>
public sealed partial class DecisionService(
    ApproverDirectory approvers,
    RoutingService routing,
    IRequestStore requests,
    ISlackThreadStore threads,
    RequestLifecycle lifecycle,
    IOptions<SlackOptions> options,
    TimeProvider time,
    ILogger<DecisionService> logger)
{
    private readonly UnresolvedRequesterPolicy _unresolved = options.Value.UnresolvedRequester;

    /// <summary>How long the click's Slack look-ups may take, and the ephemeral reply: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>Approve (permanently) or deny the one request the button carries.</summary>
    public Task<DecisionResult> DecideAsync(SlackInteraction click, bool approve, CancellationToken cancellationToken) =>
        DecideAsync(click, approve, duration: null, cancellationToken);

    /// <summary>Approve for <paramref name="duration"/> (null: permanently) or deny the one request the button carries.</summary>
    public async Task<DecisionResult> DecideAsync(SlackInteraction click, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(click);
        if (!RequestId.IsWellFormed(click.Value))
        {
            LogBadValue(logger);
            return new DecisionResult(DecisionOutcome.BadRequest, "The button does not carry a request id.");
        }
        var requestId = click.Value!;
        try
        {
            return await DecideCheckedAsync(click, requestId, approve, duration, cancellationToken);
        }
        catch (Exception ex) when (ex is not (DecisionUnconfirmedException or RequestStateException))
        {
            throw new DecisionNotRecordedException(requestId, ex);
        }
    }

    /// <summary>The single decision: reads and checks (nothing written), then the one conditional write (<see cref="DecideOneAsync"/>).</summary>
    private async Task<DecisionResult> DecideCheckedAsync(SlackInteraction click, string requestId, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var stored = await requests.GetAsync(requestId, cancellationToken);
        if (stored is null)
        {
            return new DecisionResult(DecisionOutcome.UnknownRequest, requestId, Reply: DecisionReplies.Unknown(requestId));
        }
        var batch = await threads.FindBatchOfAsync(stored.Value, cancellationToken);
        // A Home tab shows every request waiting for the clicker (the approver check below is that same test); a message
        // shows the requests of its batch.
        if (!click.FromHome && batch?.Thread?.Value.ShowsInApproverMessage(click.ChannelId, click.MessageTs, requestId) != true)
        {
            return NotOnThisMessage(click, requestId);
        }
        var (refused, breakGlass) = await AuthoriseAsync(click, batch?.LeadId ?? requestId, stored.Value, approve, all: false, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        var (won, current) = await DecideOneAsync(stored, approve, click, duration, cancellationToken, breakGlass);
        return won
            ? new DecisionResult(approve ? DecisionOutcome.Approved : DecisionOutcome.Denied, requestId, 1)
            : new DecisionResult(DecisionOutcome.AlreadyDecided, current.Status.ToString(), Reply: DecisionReplies.AlreadyDecided(current));
    }

    /// <summary>Approve all (permanently) / Deny all on a shared message: every pending change of the batch the message shows.</summary>
    public Task<DecisionResult> DecideBatchAsync(SlackInteraction click, bool approve, CancellationToken cancellationToken) =>
        DecideBatchAsync(click, approve, duration: null, cancellationToken);

    /// <summary>Approve all for <paramref name="duration"/> (null: permanently) / Deny all: every pending change of the batch the message shows.</summary>
    public async Task<DecisionResult> DecideBatchAsync(SlackInteraction click, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(click);
        if (!RequestId.IsWellFormed(click.Value))
        {
            LogBadValue(logger);
            return new DecisionResult(DecisionOutcome.BadRequest, "The button does not carry a request id.");
        }
        var leadId = click.Value!;
        if (click.FromHome)
        {
            // The Home tab offers each request's own choices, never a batch's.
            return NotOnThisMessage(click, leadId);
        }
        try
        {
            return await DecideBatchCheckedAsync(click, leadId, approve, duration, cancellationToken);
        }
        catch (Exception ex) when (ex is not (DecisionUnconfirmedException or RequestStateException))
        {
            throw new DecisionNotRecordedException(leadId, ex);
        }
    }

    private async Task<DecisionResult> DecideBatchCheckedAsync(SlackInteraction click, string leadId, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var lead = await requests.GetAsync(leadId, cancellationToken);
        var thread = lead is null ? null : await threads.FindLedBatchAsync(lead.Value, cancellationToken);
        if (thread is null || lead is null || thread.Value.MemberIds.Count < 2)
        {
            return new DecisionResult(DecisionOutcome.UnknownRequest, leadId, Reply: DecisionReplies.Unknown(leadId));
        }
        if (!thread.Value.ShowsInApproverMessage(click.ChannelId, click.MessageTs, leadId))
        {
            return NotOnThisMessage(click, leadId);
        }
        // A batch shares one requester, so one check covers every change in it.
        var (refused, breakGlass) = await AuthoriseAsync(click, leadId, lead.Value, approve, all: true, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        // Each change is its own conditional write, so they are decided side by side: a batch still answers within
        // Slack's 3 seconds (one after another it would take a read, a write and two sends each).
        (bool Won, ChangeRequest Current)?[] results;
        try
        {
            results = await Task.WhenAll(thread.Value.MemberIds.Select(async memberId =>
            {
                var member = memberId == leadId ? lead : await requests.GetAsync(memberId, cancellationToken);
                return member is null ? ((bool Won, ChangeRequest Current)?)null : await DecideOneAsync(member, approve, click, duration, cancellationToken, breakGlass);
            }));
        }
        catch (Exception ex) when (ex is not (DecisionUnconfirmedException or RequestStateException))
        {
            // Another member's write may have gone through while this one failed: not confirmed, never "nothing changed".
            throw new DecisionUnconfirmedException(leadId, ex);
        }
        var decided = results.Count(r => r is { Won: true });
        var skipped = results.Where(r => r is { Won: false } && r.Value.Current.Status != RequestStatus.Exempt).Select(r => r!.Value.Current).ToList();
        var reply = DecisionReplies.BatchDecided(approve, decided, skipped);
        return decided == 0
            ? new DecisionResult(DecisionOutcome.AlreadyDecided, string.Join(", ", skipped.Select(s => s.Id)), Reply: reply)
            : new DecisionResult(approve ? DecisionOutcome.Approved : DecisionOutcome.Denied, leadId, decided, reply);
    }

    private DecisionResult NotOnThisMessage(SlackInteraction click, string requestId)
    {
        LogNotOnThisMessage(logger, click.UserId, requestId, click.ChannelId, click.MessageTs);
        return new DecisionResult(DecisionOutcome.NotOnThisMessage, requestId, Reply: DecisionReplies.NotOnThisMessage(requestId));
    }

    /// <summary>
    /// Who may decide is checked against Slack (user groups, the requester's e-mail), cached; a cold look-up gets a budget
    /// that keeps the answer inside Slack's 3 seconds, and a look-up that fails decides nothing (fail closed).
    /// An approval of a change whose requester cannot be matched to a Slack user follows
    /// <see cref="SlackOptions.UnresolvedRequester"/>. Null: the clicker may go ahead.
    /// </summary>
    private async Task<(DecisionResult? Refused, bool BreakGlass)> AuthoriseAsync(SlackInteraction click, string leadId, ChangeRequest request, bool approve, bool all, CancellationToken cancellationToken)
    {
        bool isApprover;
        RequesterIdentity? requester = null;
        // The approvers of the route the message was sent on (the global ones unless the route includes them).
        var route = await routing.RouteForClickAsync(leadId, request, cancellationToken);
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(LookupBudget);
            isApprover = await approvers.IsApproverAsync(click.UserId, route, budget.Token);
            if (isApprover && approve)
            {
                requester = await approvers.ResolveRequesterAsync(request.Requester, budget.Token);
            }
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnverified(logger, ex, click.UserId, request.Id);
            return (new DecisionResult(DecisionOutcome.Unverified, click.UserId, Reply: DecisionReplies.Unverified(request.Id)), false);
        }
        if (!isApprover)
        {
            LogNotApprover(logger, click.UserId, request.Id);
            return (new DecisionResult(DecisionOutcome.NotAnApprover, click.UserId, Reply: DecisionReplies.NotAnApprover(request.Id)), false);
        }
        if (requester is null)
        {
            // A denial needs no requester check: anyone who may decide may keep a change reverted.
            return (null, false);
        }
        if (requester.SlackUserId == click.UserId)
        {
            if (approvers.IsBreakGlass(click.UserId))
            {
                // Break-glass: allowed, counted and announced loudly once the approval is recorded.
                return (null, true);
            }
            LogSelfApproval(logger, click.UserId, request.Id);
            return (new DecisionResult(DecisionOutcome.SelfApproval, click.UserId, Reply: DecisionReplies.SelfApproval(request.Id)), false);
        }
        return (requester.IsResolved ? null : await UnresolvedRequesterAsync(click, request.Id, all, cancellationToken), false);
    }

    /// <summary>The requester is unknown to Slack, so the clicker may be them: apply <see cref="SlackOptions.UnresolvedRequester"/>.</summary>
    private async Task<DecisionResult?> UnresolvedRequesterAsync(SlackInteraction click, string requestId, bool all, CancellationToken ct)
    {
        switch (_unresolved)
        {
            case UnresolvedRequesterPolicy.Allow:
                return null;
            case UnresolvedRequesterPolicy.Block:
                LogUnresolvedBlocked(logger, click.UserId, requestId);
                return new DecisionResult(DecisionOutcome.RequesterUnresolved, requestId, Reply: DecisionReplies.UnresolvedBlocked(requestId));
        }
        ConditionalResult<ApprovalVotes> votes;
        try
        {
            votes = await threads.UpdateAsync(SlackRows.Votes(requestId, all), v =>
                v?.ApproverIds.Contains(click.UserId) == true ? null : new ApprovalVotes([.. v?.ApproverIds ?? [], click.UserId]), ct);
        }
        catch (Exception ex) when (ex is not RequestStateException)
        {
            throw new DecisionUnconfirmedException(requestId, ex); // the first of two approvals may have been recorded
        }
        var approvers = votes.Value!.ApproverIds;
        if (approvers.Any(a => a != click.UserId))
        {
            return null;
        }
        LogAwaitingSecond(logger, click.UserId, requestId);
        return new DecisionResult(DecisionOutcome.AwaitingSecondApprover, requestId,
            Reply: votes.Written ? DecisionReplies.FirstOfTwoApprovals(requestId) : DecisionReplies.SameApproverAgain(requestId));
    }

    /// <summary>
    /// One conditional write: true when this click decided the request, false when it was already decided. An
    /// approval's apply (and, break-glass, its notice) are effects raised by the same write; a repeated click records nothing.
    /// </summary>
    private async Task<(bool Won, ChangeRequest Current)> DecideOneAsync(Stored<ChangeRequest> stored, bool approve, SlackInteraction click, TimeSpan? duration, CancellationToken ct, bool breakGlass = false)
    {
        RequestUpdate update;
        try
        {
            update = await lifecycle.ChangeAsync(stored, request =>
            {
                if (request.Status != RequestStatus.Pending)
                {
                    return false;
                }
                if (approve)
                {
                    // A removal takes access away: it has no duration (it is not undone at expiry).
                    request.Approve(click.UserId, click.UserName, time.GetUtcNow(), request.Kind == ChangeKind.Remove ? null : duration, breakGlass);
                }
                else
                {
                    request.Deny(click.UserId, click.UserName, time.GetUtcNow());
                }
                return true;
            }, CancellationToken.None); // once sent, the write runs to its own bounded end (storage timeouts): a click's deadline must not leave it unknown for longer
        }
        catch (Exception ex) when (ex is not RequestStateException)
        {
            // The conditional write was sent (or was being retried) when storage failed or the click's deadline ended
            // it: whether it landed is unknown, and the answer must say so rather than "nothing changed".
            throw new DecisionUnconfirmedException(stored.Value.Id, ex);
        }
        var decided = update.Request;
        if (!update.Written)
        {
            // One click, one apply: the effect was recorded by the click that won (its nudge lost: the catch-up performs it).
            return (false, decided);
        }
        LogDecided(logger, decided.Id, decided.Status, click.UserId, decided.AccountId, decided.GroupId);
        if (breakGlass && decided.Status == RequestStatus.Approved)
        {
            routing.CountBreakGlass(decided);
            LogBreakGlass(logger, click.UserId, decided.Id, decided.AccountId, decided.GroupId);
        }
        return (true, decided);
    }

    [LoggerMessage(312, LogLevel.Warning, "BREAK-GLASS: Slack user {SlackUserId} approved their own request {RequestId} ({AccountId}, {GroupId})")]
    private static partial void LogBreakGlass(ILogger logger, string slackUserId, string requestId, string accountId, string? groupId);

    [LoggerMessage(302, LogLevel.Warning, "Slack interaction rejected: the button value is not a request id")]
    private static partial void LogBadValue(ILogger logger);

    [LoggerMessage(303, LogLevel.Warning, "Slack user {SlackUserId} is not an approver; request {RequestId} unchanged")]
    private static partial void LogNotApprover(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(304, LogLevel.Warning, "Slack user {SlackUserId} tried to approve their own request {RequestId}")]
    private static partial void LogSelfApproval(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(305, LogLevel.Information, "Request {RequestId} {Status} by {SlackUserId} ({AccountId}, {GroupId})")]
    private static partial void LogDecided(ILogger logger, string requestId, RequestStatus status, string slackUserId, string accountId, string? groupId);

    [LoggerMessage(307, LogLevel.Warning, "Could not verify Slack user {SlackUserId} for request {RequestId}; nothing changed")]
    private static partial void LogUnverified(ILogger logger, Exception exception, string slackUserId, string requestId);

    [LoggerMessage(310, LogLevel.Warning, "Slack user {SlackUserId} approved {RequestId}, whose requester is unknown to Slack: refused (Slack:UnresolvedRequester=Block)")]
    private static partial void LogUnresolvedBlocked(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(311, LogLevel.Information, "Slack user {SlackUserId} approved {RequestId}, whose requester is unknown to Slack: waiting for a second approver")]
    private static partial void LogAwaitingSecond(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(308, LogLevel.Warning, "Slack user {SlackUserId} clicked on {RequestId} from message {Channel}/{MessageTs}, which does not show it; nothing changed")]
    private static partial void LogNotOnThisMessage(ILogger logger, string slackUserId, string requestId, string channel, string messageTs);
}
