using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// After a revert, asks the requester why: a DM with "Give a reason", the <see cref="EffectKind.AskReason"/> effect the
/// revert's transition raises (performed and cleared once by the effects worker: asked once, and a Slack failure only
/// delays it). The requester's click opens a small modal; the submission stores the reason on the Pending request (a
/// transition that raises the re-render of the approvers' message, which shows it). Only the requester may give it.
/// </summary>
public sealed partial class RevertReasonService(
    ISlackClient slack,
    ApproverDirectory approvers,
    IRequestStore requests,
    RequestLifecycle lifecycle,
    TimeProvider time,
    ILogger<RevertReasonService> logger,
    BridgeTelemetry telemetry,
    ModalSeal seal)
{
    /// <summary>
    /// The <see cref="EffectKind.AskReason"/> effect: asks the requester of a reverted, Pending request for a reason
    /// (nothing when it no longer wants one, e.g. decided meanwhile, or the requester has no Slack user). Slack failures
    /// escape: the effect stays pending and is retried.
    /// </summary>
    public async Task AskAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        if (!request.WantsReason)
        {
            return;
        }
        if (await approvers.FindSlackUserAsync(request.Requester, cancellationToken) is not { } user)
        {
            LogNoUser(logger, request.Id);
            return;
        }
        var (text, blocks) = ReasonMessages.Ask(request);
        await slack.PostMessageAsync(user, text, blocks, null, cancellationToken);
        LogAsked(logger, request.Id, user);
    }

    /// <summary>"Give a reason" clicked (the handler checked the action_id and trigger_id): only the requester, only while Pending; opens the modal within Slack's 3 seconds.</summary>
    public async Task<DecisionResult> OpenAsync(ClickContext context, CancellationToken cancellationToken)
    {
        var click = context.Click;
        var id = context.RequestId;
        if (Refusal(context.Request.Value, click.UserId, (await context.RequesterAsync()).SlackUserId) is { } refusal)
        {
            return new DecisionResult(refusal.Outcome, refusal.Detail, Reply: refusal.Words);
        }
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(SlackRequestService.ViewBudget);
            await slack.OpenViewAsync(click.TriggerId!, ReasonMessages.Modal(context.Request.Value, seal.Seal(ActionIds.ReasonCallback, click.UserId, id)), budget.Token);
            return new DecisionResult(DecisionOutcome.Ignored, "reason modal opened " + id);
        }
        catch (Exception ex) when (SlackFailure.Is(ex, CancellationToken.None))
        {
            // Nothing was written: whichever budget ran out (views.open's or the click's), the requester clicks again.
            LogAskFailed(logger, ex, id);
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "reason_ask"));
            return new DecisionResult(DecisionOutcome.Ignored, "reason modal not opened " + id,
                Reply: "SgBridge could not open the reason form in time. Click again.");
        }
    }

    /// <summary>
    /// The reason modal submitted (its private_metadata already unsealed by the Slack endpoint: the request id): errors keyed by the reason block, else the reason stored and the approvers' message re-rendered.
    /// </summary>
    public async Task<DecisionResult> SubmitAsync(SlackViewSubmission submission, CancellationToken cancellationToken)
    {
        var id = submission.PrivateMetadata;
        if (!RequestId.IsWellFormed(id))
        {
            return DecisionResult.Bad("private_metadata: not a request id");
        }
        var text = submission.Values.GetValueOrDefault(RequestBlocks.Reason)?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Error("Give a reason (it is empty).", "reason: empty");
        }
        if (text.Length > ChangeRequest.MaxReasonLength)
        {
            return Error($"At most {ChangeRequest.MaxReasonLength} characters (it has {text.Length}).", "reason: too long");
        }
        var stored = await requests.GetAsync(id!, cancellationToken);
        if (stored is null)
        {
            return Error(DecisionReplies.Unknown(id!), "unknown " + id);
        }
        string? requester;
        try
        {
            requester = await approvers.FindSlackUserAsync(stored.Value.Requester, cancellationToken);
        }
        catch (Exception ex) when (SlackFailure.Is(ex, cancellationToken))
        {
            LogAskFailed(logger, ex, id!);
            return Error("SgBridge could not check who you are in time. Try again.", id!);
        }
        if (Refusal(stored.Value, submission.UserId, requester) is { } refusal)
        {
            return Error(refusal.Words, refusal.Detail);
        }
        var previous = (string?)null;
        var update = await lifecycle.ChangeAsync(stored, r =>
        {
            if (r.Status != RequestStatus.Pending)
            {
                return false;
            }
            previous = r.RequesterReason?.Text;
            if (previous == text)
            {
                return false; // a duplicated submission: nothing new
            }
            r.RecordReason(text, submission.UserId, time.GetUtcNow());
            return true;
        }, cancellationToken);
        if (update.Request.Status != RequestStatus.Pending)
        {
            return Error($"{id} is {ApprovalMessageBuilder.StatusWords(update.Request.Status)}: a reason is taken only while it waits for approvers.", "not pending " + id);
        }
        if (update.Written)
        {
            LogReason(logger, id!, submission.UserId, update.Request.RequesterReason!.Revision);
        }
        var replaced = update.Written && previous is not null;
        return DecisionResult.ModalUpdate(update.Written ? (replaced ? "replaced " : "recorded ") + id : "unchanged " + id,
            ReasonMessages.Thanks(id!, replaced));
    }

    /// <summary>Why <paramref name="userId"/> may not give the reason of <paramref name="request"/> now (null: they may).</summary>
    private (DecisionOutcome Outcome, string Detail, string Words)? Refusal(ChangeRequest request, string userId, string? requester)
    {
        if (requester is null || requester != userId)
        {
            LogRefused(logger, userId, request.Id);
            return (DecisionOutcome.NotTheRequester, userId, $"Only the requester of {request.Id} can give its reason. Nothing changed.");
        }
        if (request.Status != RequestStatus.Pending)
        {
            return (DecisionOutcome.AlreadyDecided, request.Status.ToString(),
                $"{request.Id} is {ApprovalMessageBuilder.StatusWords(request.Status)}: a reason is taken only while it waits for approvers. Nothing changed.");
        }
        return null;
    }

    private static DecisionResult Error(string message, string detail) =>
        DecisionResult.ModalErrors(detail, [new(RequestBlocks.Reason, message)]);

    [LoggerMessage(5031, LogLevel.Information, "Requester of {RequestId} not found in Slack: no reason asked")]
    private static partial void LogNoUser(ILogger logger, string requestId);

    [LoggerMessage(5032, LogLevel.Debug, "Asked Slack user {SlackUserId} for the reason of {RequestId}")]
    private static partial void LogAsked(ILogger logger, string requestId, string slackUserId);

    [LoggerMessage(5033, LogLevel.Warning, "Could not ask the requester of {RequestId} for a reason")]
    private static partial void LogAskFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(5034, LogLevel.Warning, "Slack user {SlackUserId} is not the requester of {RequestId}: reason refused")]
    private static partial void LogRefused(ILogger logger, string slackUserId, string requestId);

    [LoggerMessage(5035, LogLevel.Information, "Reason for {RequestId} given by {SlackUserId} (revision {Revision})")]
    private static partial void LogReason(ILogger logger, string requestId, string slackUserId, int revision);
}
