using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Decides on a click the endpoint has verified, routed and read (<see cref="ClickContext"/>): checks that the clicker is
/// an approver and not the requester approving their own change, then records the decision through
/// <see cref="RequestLifecycle"/>, one conditional write per request (of concurrent clicks exactly one wins). The
/// transition records the apply, the renders and (break-glass) the loud notice as effects in that same write: no AWS work,
/// no queueing and no Slack posts happen here, so the answer is true whatever the queue does.
/// </summary>
public sealed partial class DecisionService(
    RoutingService routing,
    IRequestStore requests,
    ISlackThreadStore threads,
    RequestLifecycle lifecycle,
    IOptions<SlackOptions> options,
    TimeProvider time,
    ILogger<DecisionService> logger)
{
    private readonly UnresolvedRequesterPolicy _unresolved = options.Value.UnresolvedRequester;

    /// <summary>Approve for <paramref name="duration"/> (null: permanently) or deny the one request the click's context holds.</summary>
    public async Task<DecisionResult> DecideAsync(ClickContext context, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var (refused, breakGlass) = await AuthoriseAsync(context, approve, all: false, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        var (won, current) = await DecideOneAsync(context.Request, approve, context.Click, duration, breakGlass);
        return won
            ? new DecisionResult(approve ? DecisionOutcome.Approved : DecisionOutcome.Denied, context.RequestId, 1)
            : new DecisionResult(DecisionOutcome.AlreadyDecided, current.Status.ToString(), Reply: DecisionReplies.AlreadyDecided(current));
    }

    /// <summary>Approve all for <paramref name="duration"/> (null: permanently) / Deny all: every pending change of the batch the message shows.</summary>
    public async Task<DecisionResult> DecideBatchAsync(ClickContext context, bool approve, TimeSpan? duration, CancellationToken cancellationToken)
    {
        // A batch shares one requester, so one check covers every change in it.
        var (refused, breakGlass) = await AuthoriseAsync(context, approve, all: true, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }
        // Each change is its own conditional write, so they are decided side by side: a batch still answers within
        // Slack's 3 seconds (one after another it would take a read, a write and two sends each).
        (bool Won, ChangeRequest Current)?[] results;
        try
        {
            results = await Task.WhenAll(context.Thread!.Value.MemberIds.Select(async memberId =>
            {
                var member = memberId == context.RequestId ? context.Request : await requests.GetAsync(memberId, cancellationToken);
                return member is null ? ((bool Won, ChangeRequest Current)?)null : await DecideOneAsync(member, approve, context.Click, duration, breakGlass);
            }));
        }
        catch (Exception ex) when (ex is not (ClickFailedException or RequestStateException))
        {
            // Another member's write may have gone through while this one failed: not confirmed, never "nothing changed".
            throw new ClickFailedException(ClickFailure.Unconfirmed, context.RequestId, ex);
        }
        var decided = results.Count(r => r is { Won: true });
        var skipped = results.Where(r => r is { Won: false } && r.Value.Current.Status != RequestStatus.Exempt).Select(r => r!.Value.Current).ToList();
        var reply = DecisionReplies.BatchDecided(approve, decided, skipped);
        return decided == 0
            ? new DecisionResult(DecisionOutcome.AlreadyDecided, string.Join(", ", skipped.Select(s => s.Id)), Reply: reply)
            : new DecisionResult(approve ? DecisionOutcome.Approved : DecisionOutcome.Denied, context.RequestId, decided, reply);
    }

    /// <summary>
    /// Who may decide: an approver of the route, and (approving) not the requester of the change — unless break-glass.
    /// The look-ups are the context's (cached, within the click's budget; one that fails decides nothing). An approval
    /// of a change whose requester cannot be matched to a Slack user follows <see cref="SlackOptions.UnresolvedRequester"/>.
    /// Null: the clicker may go ahead.
    /// </summary>
    private async Task<(DecisionResult? Refused, bool BreakGlass)> AuthoriseAsync(ClickContext context, bool approve, bool all, CancellationToken cancellationToken)
    {
        var click = context.Click;
        var id = context.RequestId;
        if (!await context.IsApproverAsync())
        {
            LogNotApprover(logger, click.UserId, id);
            return (new DecisionResult(DecisionOutcome.NotAnApprover, click.UserId, Reply: DecisionReplies.NotAnApprover(id)), false);
        }
        if (!approve)
        {
            // A denial needs no requester check: anyone who may decide may keep a change reverted.
            return (null, false);
        }
        var requester = await context.RequesterAsync();
        if (requester.SlackUserId == click.UserId)
        {
            if (context.ClickerIsBreakGlass)
            {
                // Break-glass: allowed, counted and announced loudly once the approval is recorded.
                return (null, true);
            }
            LogSelfApproval(logger, click.UserId, id);
            return (new DecisionResult(DecisionOutcome.SelfApproval, click.UserId, Reply: DecisionReplies.SelfApproval(id)), false);
        }
        return (requester.IsResolved ? null : await UnresolvedRequesterAsync(click, id, all, cancellationToken), false);
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
            throw new ClickFailedException(ClickFailure.Unconfirmed, requestId, ex); // the first of two approvals may have been recorded
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
    private async Task<(bool Won, ChangeRequest Current)> DecideOneAsync(Stored<ChangeRequest> stored, bool approve, SlackInteraction click, TimeSpan? duration, bool breakGlass)
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
            throw new ClickFailedException(ClickFailure.Unconfirmed, stored.Value.Id, ex);
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

    [LoggerMessage(303, LogLevel.Warning, "Slack user {SlackUserId} is not an approver; request {RequestId} unchanged")]
    private static partial void LogNotApprover(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(304, LogLevel.Warning, "Slack user {SlackUserId} tried to approve their own request {RequestId}")]
    private static partial void LogSelfApproval(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(305, LogLevel.Information, "Request {RequestId} {Status} by {SlackUserId} ({AccountId}, {GroupId})")]
    private static partial void LogDecided(ILogger logger, string requestId, RequestStatus status, string slackUserId, string accountId, string? groupId);

    [LoggerMessage(310, LogLevel.Warning, "Slack user {SlackUserId} approved {RequestId}, whose requester is unknown to Slack: refused (Slack:UnresolvedRequester=Block)")]
    private static partial void LogUnresolvedBlocked(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(311, LogLevel.Information, "Slack user {SlackUserId} approved {RequestId}, whose requester is unknown to Slack: waiting for a second approver")]
    private static partial void LogAwaitingSecond(ILogger logger, string slackUserId, string requestId);

}
