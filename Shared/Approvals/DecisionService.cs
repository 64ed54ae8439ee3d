using System.Globalization;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

public enum DecisionOutcome
{
    Unauthenticated,
    BadRequest,
    Ignored,
    UnknownRequest,
    NotAnApprover,
    /// <summary>Slack could not be asked in time who the clicker is (user group, requester e-mail): nothing changed.</summary>
    Unverified,
    SelfApproval,
    AlreadyDecided,
    Approved,
    Denied,
}

/// <summary>What the Slack endpoint answers: 401 for a bad signature, 400 for a bad payload, else 200.</summary>
public sealed record DecisionResult(DecisionOutcome Outcome, string Detail, int Decided = 0)
{
    public int StatusCode => Outcome switch
    {
        DecisionOutcome.Unauthenticated => 401,
        DecisionOutcome.BadRequest => 400,
        _ => 200,
    };
}

/// <summary>
/// Handles one Slack button click within Slack's 3 seconds: verify the signature, check the approver, record the
/// decision with a conditional write per request (of any number of concurrent clicks exactly one wins), enqueue the
/// apply. "Approve all" / "Deny all" on a shared message decide each pending change of the batch the same way.
/// No AWS work happens here.
/// </summary>
public sealed partial class DecisionService(
    SlackRequestVerifier verifier,
    SlackInteractionParser parser,
    ApproverDirectory approvers,
    IRequestStore requests,
    RequestLifecycle lifecycle,
    IQueueSender queue,
    ISlackClient slack,
    TimeProvider time,
    ILogger<DecisionService> logger)
{
    public async Task<DecisionResult> HandleAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, CancellationToken cancellationToken)
    {
        var check = verifier.Verify(body.Span, timestamp, signature);
        if (!check.IsValid)
        {
            LogUnauthenticated(logger, check.Status);
            return new DecisionResult(DecisionOutcome.Unauthenticated, $"Slack signature check failed: {check.Status}.");
        }
        var parsed = parser.Parse(body.Span);
        if (!parsed.Success)
        {
            LogBadPayload(logger, parsed.Error);
            return new DecisionResult(DecisionOutcome.BadRequest, parsed.Error ?? "Unreadable interaction payload.");
        }
        var click = parsed.Interaction!;
        var (approve, all) = click.ActionId switch
        {
            ActionIds.Approve => (true, false),
            ActionIds.Deny => (false, false),
            ActionIds.ApproveAll => (true, true),
            ActionIds.DenyAll => (false, true),
            _ => ((bool?)null, false),
        };
        if (approve is null)
        {
            return new DecisionResult(DecisionOutcome.Ignored, $"Action {click.ActionId} is not a decision.");
        }
        if (!RequestId.IsWellFormed(click.Value))
        {
            LogBadPayload(logger, "button value is not a request id");
            return new DecisionResult(DecisionOutcome.BadRequest, "The button does not carry a request id.");
        }
        var requestId = click.Value!;

        var stored = await requests.GetAsync(requestId, cancellationToken);
        if (stored is null || (all && !stored.Value.IsBatchLead))
        {
            await TellAsync(click, $"Request {requestId} does not exist.", cancellationToken);
            return new DecisionResult(DecisionOutcome.UnknownRequest, requestId);
        }
        // Who may decide is checked against Slack (user groups, the requester's e-mail), cached; a cold look-up gets a
        // budget that keeps the answer inside Slack's 3 seconds, and a look-up that fails decides nothing (fail closed).
        bool isApprover, isRequester;
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(LookupBudget);
            isApprover = await approvers.IsApproverAsync(click.UserId, budget.Token);
            isRequester = isApprover && approve.Value
                && await approvers.FindSlackUserAsync(stored.Value.Requester, budget.Token) == click.UserId;
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnverified(logger, ex, click.UserId, requestId);
            await TellAsync(click, $"Slack did not confirm who you are in time, so {requestId} is unchanged. Please try again.", cancellationToken);
            return new DecisionResult(DecisionOutcome.Unverified, click.UserId);
        }
        if (!isApprover)
        {
            LogNotApprover(logger, click.UserId, requestId);
            await TellAsync(click, $"You are not an approver for {requestId}: nothing was changed.", cancellationToken);
            return new DecisionResult(DecisionOutcome.NotAnApprover, click.UserId);
        }
        // A batch shares one requester, so one look-up covers every change in it.
        if (isRequester)
        {
            LogSelfApproval(logger, click.UserId, requestId);
            await TellAsync(click, $"You made this change, so you cannot approve {requestId} yourself: another approver has to.", cancellationToken);
            return new DecisionResult(DecisionOutcome.SelfApproval, click.UserId);
        }

        if (!all)
        {
            var (won, current) = await DecideAsync(stored, approve.Value, click, cancellationToken);
            if (!won)
            {
                await TellAsync(click, AlreadyDecidedText(current), cancellationToken);
                return new DecisionResult(DecisionOutcome.AlreadyDecided, current.Status.ToString());
            }
            return new DecisionResult(approve.Value ? DecisionOutcome.Approved : DecisionOutcome.Denied, requestId, 1);
        }

        // Each change is its own conditional write, so they are decided side by side: a batch of 10-20 changes still
        // answers within Slack's 3 seconds (one after another it would take a read, a write and two sends each).
        var results = await Task.WhenAll(stored.Value.BatchMemberIds.Select(async memberId =>
        {
            var member = memberId == requestId ? stored : await requests.GetAsync(memberId, cancellationToken);
            return member is null ? ((bool Won, ChangeRequest Current)?)null : await DecideAsync(member, approve.Value, click, cancellationToken);
        }));
        var decided = results.Count(r => r is { Won: true });
        var skipped = results
            .Where(r => r is { Won: false } && r.Value.Current.Status != RequestStatus.Exempt)
            .Select(r => $"{r!.Value.Current.Id} ({r.Value.Current.Status.ToString().ToLowerInvariant()})")
            .ToList();
        var verb = approve.Value ? "Approved" : "Denied";
        await TellAsync(click, skipped.Count == 0
            ? $"{verb} {decided} change{(decided == 1 ? "" : "s")}."
            : $"{verb} {decided}; already decided: {string.Join(", ", skipped)}.", cancellationToken);
        return decided == 0
            ? new DecisionResult(DecisionOutcome.AlreadyDecided, string.Join(", ", skipped))
            : new DecisionResult(approve.Value ? DecisionOutcome.Approved : DecisionOutcome.Denied, requestId, decided);
    }

    /// <summary>One conditional write: true when this click decided the request, false when it was already decided.</summary>
    private async Task<(bool Won, ChangeRequest Current)> DecideAsync(Stored<ChangeRequest> stored, bool approve, SlackInteraction click, CancellationToken ct)
    {
        var update = await lifecycle.ChangeAsync(stored, request =>
        {
            if (request.Status != RequestStatus.Pending)
            {
                return false;
            }
            if (approve)
            {
                request.Approve(click.UserId, click.UserName, time.GetUtcNow());
            }
            else
            {
                request.Deny(click.UserId, click.UserName, time.GetUtcNow());
            }
            return true;
        }, ct);
        var decided = update.Request;
        if (!update.Written)
        {
            return (false, decided);
        }
        LogDecided(logger, decided.Id, decided.Status, click.UserId, decided.AccountId, decided.GroupId);
        if (decided.Status == RequestStatus.Approved)
        {
            await queue.SendAsync(QueueNames.Applies, new ApplyCommand(decided.Id), ct);
        }
        return (true, decided);
    }

    private static string AlreadyDecidedText(ChangeRequest request)
    {
        var by = request.DecidedBy is null ? "" : $" by <@{request.DecidedBy}>";
        var at = request.DecidedAt is { } t ? " at " + t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "";
        return $"{request.Id} is already {request.Status.ToString().ToLowerInvariant()}{by}{at}.";
    }

    /// <summary>How long the click's Slack look-ups may take, and the ephemeral reply: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>An ephemeral note to the clicker. A Slack hiccup here must not undo or fail the decision, nor hold the answer.</summary>
    private async Task TellAsync(SlackInteraction click, string text, CancellationToken ct)
    {
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(LookupBudget);
            await slack.PostEphemeralAsync(click.ChannelId, click.UserId, text, budget.Token);
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogEphemeralFailed(logger, ex, click.UserId);
        }
    }

    [LoggerMessage(301, LogLevel.Warning, "Slack interaction rejected: signature {Status}")]
    private static partial void LogUnauthenticated(ILogger logger, SlackSignatureStatus status);

    [LoggerMessage(302, LogLevel.Warning, "Slack interaction rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string? error);

    [LoggerMessage(303, LogLevel.Warning, "Slack user {SlackUserId} is not an approver; request {ApprovalId} unchanged")]
    private static partial void LogNotApprover(ILogger logger, string slackUserId, string approvalId);

    [LoggerMessage(304, LogLevel.Warning, "Slack user {SlackUserId} tried to approve their own request {ApprovalId}")]
    private static partial void LogSelfApproval(ILogger logger, string slackUserId, string approvalId);

    [LoggerMessage(305, LogLevel.Information, "Request {ApprovalId} {Status} by {SlackUserId} ({AccountId}, {GroupId})")]
    private static partial void LogDecided(ILogger logger, string approvalId, RequestStatus status, string slackUserId, string accountId, string? groupId);

    [LoggerMessage(307, LogLevel.Warning, "Could not verify Slack user {SlackUserId} for request {ApprovalId}; nothing changed")]
    private static partial void LogUnverified(ILogger logger, Exception exception, string slackUserId, string approvalId);

    [LoggerMessage(306, LogLevel.Warning, "Could not send an ephemeral message to {SlackUserId}")]
    private static partial void LogEphemeralFailed(ILogger logger, Exception exception, string slackUserId);
}
