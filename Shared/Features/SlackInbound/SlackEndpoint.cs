using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>
/// The one inbound pipeline behind the Slack triggers: verify, parse once, read a click's <see cref="ClickContext"/>, run
/// the handler within Slack's 3 seconds; a modal submission reaches its handler only with its seal (<see cref="ModalSeal"/>).
/// </summary>
public sealed partial class SlackEndpoint(
    SlackRequestVerifier verifier,
    SlackHandlers handlers,
    ClickContexts contexts,
    ModalSeal seal,
    ISlackClient slack,
    IQueueSender queue,
    ILogger<SlackEndpoint> logger)
{
    public const string RetryNumHeader = "X-Slack-Retry-Num";

    /// <summary>How long the private reply may take: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan ReplyBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// A click's deadline, its context included: the handler's token is cancelled then, so nothing more is written. A
    /// write already sent runs to its own bounded end; the answer waits only <see cref="CancelGrace"/> more, then says "not confirmed".
    /// </summary>
    internal static readonly TimeSpan HandlerBudget = TimeSpan.FromSeconds(1.8);

    /// <summary>How long a cancelled handler gets to end before the answer stops waiting for it.</summary>
    internal static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(0.3);

    /// <summary>The whole answer, the private reply included: inside Slack's 3 seconds with room for the host.</summary>
    internal static readonly TimeSpan AnswerBudget = TimeSpan.FromSeconds(2.6);

    /// <summary>How long queueing an event's work may take: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan QueueBudget = TimeSpan.FromSeconds(2);

    /// <summary>POST /api/slack/interactions: a click, a shortcut or a modal submission.</summary>
    public Task<DecisionResult> HandleInteractionAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, CancellationToken cancellationToken) =>
        VerifiedAsync(body, timestamp, signature, async () =>
        {
            var parsed = SlackInboundParser.ParseInteraction(body.Span);
            return parsed.Value switch
            {
                SlackInteraction click => await ClickAsync(click, cancellationToken),
                SlackShortcut shortcut => handlers.Shortcut(shortcut.CallbackId) is { } handler
                    ? await handler.HandleAsync(shortcut, cancellationToken)
                    : DecisionResult.Answer("not SgBridge's shortcut"),
                SlackViewSubmission submission => await SubmissionAsync(submission, cancellationToken),
                _ => Bad(parsed.Error!),
            };
        });

    /// <summary>POST /api/slack/commands: the slash command.</summary>
    public Task<DecisionResult> HandleCommandAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, CancellationToken cancellationToken) =>
        VerifiedAsync(body, timestamp, signature, async () =>
        {
            var parsed = SlackInboundParser.ParseCommand(body.Span);
            return parsed.Value is { } command ? await handlers.Command.HandleAsync(command, cancellationToken) : Bad(parsed.Error!);
        });

    /// <summary>
    /// POST /api/slack/events: answers <c>url_verification</c> and queues <c>app_home_opened</c> as <see cref="PublishHome"/>.
    /// A retry is handled like the first delivery (publishing a tab again is harmless); a queue failure answers 503 so Slack retries.
    /// </summary>
    public Task<DecisionResult> HandleEventAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, string? retryNum, CancellationToken cancellationToken) =>
        VerifiedAsync(body, timestamp, signature, () => EventAsync(SlackInboundParser.ParseEvent(body.Span), retryNum, cancellationToken));

    private async Task<DecisionResult> EventAsync(SlackParse<SlackEvent> parsed, string? retryNum, CancellationToken cancellationToken)
    {
        if (parsed.Value is not { } e)
        {
            return Bad(parsed.Error!);
        }
        if (e.Challenge is { } challenge)
        {
            return DecisionResult.Answer("url_verification", new JsonObject { ["challenge"] = challenge });
        }
        if (e.HomeOpenedBy is not { } user)
        {
            return DecisionResult.Answer("Not an event SgBridge handles.");
        }
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(QueueBudget);
            await EffectsMessage.SendAsync(queue, new PublishHome(user), TimeSpan.Zero, budget.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogQueueFailed(logger, ex, user);
            return new DecisionResult(DecisionOutcome.Unavailable, "The Home tab could not be queued; Slack retries the event.");
        }
        LogHomeOpened(logger, user, retryNum ?? "0");
        return DecisionResult.Answer("Home tab queued.");
    }

    /// <summary>Runs <paramref name="handle"/> only for a body Slack signed; nothing is parsed before.</summary>
    private Task<DecisionResult> VerifiedAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, Func<Task<DecisionResult>> handle)
    {
        var status = verifier.Verify(body.Span, timestamp, signature);
        if (status == SlackSignatureStatus.Valid)
        {
            return handle();
        }
        LogUnauthenticated(logger, status);
        return Task.FromResult(new DecisionResult(DecisionOutcome.Unauthenticated, $"Slack signature check failed: {status}."));
    }

    private DecisionResult Bad(string error)
    {
        LogBadPayload(logger, error);
        return DecisionResult.Bad(error);
    }

    private async Task<DecisionResult> SubmissionAsync(SlackViewSubmission submission, CancellationToken cancellationToken)
    {
        if (handlers.Submission(submission.CallbackId) is not { } handler)
        {
            return DecisionResult.Answer("not SgBridge's modal");
        }
        var check = seal.Open(submission.PrivateMetadata, submission.CallbackId, submission.UserId);
        if (!check.IsValid)
        {
            // Keyed by a block both modals have, so the person sees why in the modal.
            LogUnbound(logger, submission.UserId, submission.CallbackId, check.Refusal!);
            return DecisionResult.ModalErrors("refused: " + check.Refusal,
                [new(RequestBlocks.Reason, "SgBridge did not open this form for you, or it has expired. Close it and open a new one.")]);
        }
        return await handler.HandleAsync(submission with { PrivateMetadata = check.Data }, cancellationToken);
    }

    private async Task<DecisionResult> ClickAsync(SlackInteraction click, CancellationToken cancellationToken)
    {
        if (handlers.Click(click.ActionId) is not { } handler)
        {
            return DecisionResult.Answer("The action is not one of SgBridge's buttons.");
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var target = handler.Target(click);
        var result = target.Refused ?? await HandleWithinBudgetAsync(handler, click, target.RequestId, cancellationToken);
        if (result.Reply is { } reply)
        {
            var left = AnswerBudget - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            await TellAsync(click, reply, left < ReplyBudget ? left : ReplyBudget, cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// Reads the click's context and runs the handler within <see cref="HandlerBudget"/>. A failure is answered truthfully:
    /// "could not verify" (Slack could not say who clicked), "not recorded" (nothing written yet), else "not confirmed".
    /// </summary>
    private async Task<DecisionResult> HandleWithinBudgetAsync(IBlockActionHandler handler, SlackInteraction click, string? requestId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandlerBudget);
        var work = RunAsync(handler, click, requestId, deadline.Token);
        try
        {
            return await work.WaitAsync(HandlerBudget + CancelGrace, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = work.ContinueWith(t => LogClickLateFailure(logger, t.Exception!, click.UserId, requestId ?? "?"), CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            LogClickLate(logger, click.UserId, requestId ?? "?", HandlerBudget);
            return new DecisionResult(DecisionOutcome.Unverified, "not confirmed in time: " + requestId, Reply: DecisionReplies.NotConfirmed(requestId));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not (ArgumentException or RequestStateException))
        {
            var failed = ex as ClickFailedException;
            var id = failed?.RequestId ?? requestId;
            var cause = failed?.InnerException ?? ex;
            switch (failed?.Failure)
            {
                case ClickFailure.Unverified:
                    LogUnverified(logger, cause, click.UserId, failed.RequestId);
                    return new DecisionResult(DecisionOutcome.Unverified, click.UserId, Reply: DecisionReplies.Unverified(failed.RequestId));
                case ClickFailure.NotRecorded:
                    LogClickNotRecorded(logger, cause, click.UserId, failed.RequestId);
                    return new DecisionResult(DecisionOutcome.Unverified, "not recorded: " + id, Reply: DecisionReplies.NotRecorded(id));
                default:
                    LogClickNotConfirmed(logger, ex, click.UserId, id ?? "?");
                    return new DecisionResult(DecisionOutcome.Unverified, "not confirmed: " + id, Reply: DecisionReplies.NotConfirmed(id));
            }
        }
    }

    private async Task<DecisionResult> RunAsync(IBlockActionHandler handler, SlackInteraction click, string? requestId, CancellationToken deadline)
    {
        ClickContext? context;
        DecisionResult? refused;
        try
        {
            (context, refused) = await contexts.BuildAsync(click, requestId, handler.Scope, deadline);
        }
        catch (Exception ex) when (ex is not RequestStateException)
        {
            // Only reads so far: nothing was written for the click.
            throw new ClickFailedException(ClickFailure.NotRecorded, requestId ?? "?", ex);
        }
        if (refused is not null)
        {
            LogRefused(logger, click.UserId, requestId ?? "?", refused.Outcome, click.ChannelId, click.MessageTs);
            return refused;
        }
        using (context)
        {
            return await handler.HandleAsync(context!, deadline);
        }
    }

    private async Task TellAsync(SlackInteraction click, string text, TimeSpan limit, CancellationToken ct)
    {
        if (limit <= TimeSpan.Zero)
        {
            LogReplyOutOfTime(logger, click.UserId);
            return;
        }
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(limit);
            // A Home tab click has no channel to answer in: the reply reaches the clicker as a DM from the app.
            await (click.FromHome
                ? slack.PostMessageAsync(click.UserId, text, null, null, budget.Token)
                : slack.PostEphemeralAsync(click.ChannelId, click.UserId, text, budget.Token));
        }
        catch (Exception ex) when (SlackFailure.Is(ex, ct))
        {
            LogEphemeralFailed(logger, ex, click.UserId);
        }
    }

    [LoggerMessage(301, LogLevel.Warning, "Slack request rejected: signature {Status}")]
    private static partial void LogUnauthenticated(ILogger logger, SlackSignatureStatus status);

    [LoggerMessage(309, LogLevel.Warning, "Slack request rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string? error);

    [LoggerMessage(307, LogLevel.Warning, "Could not verify Slack user {SlackUserId} for request {RequestId}; nothing changed")]
    private static partial void LogUnverified(ILogger logger, Exception exception, string slackUserId, string requestId);

    [LoggerMessage(308, LogLevel.Warning, "Click of Slack user {SlackUserId} on {RequestId} from message {Channel}/{MessageTs} refused before its handler: {Outcome}")]
    private static partial void LogRefused(ILogger logger, string slackUserId, string requestId, DecisionOutcome outcome, string channel, string messageTs);

    [LoggerMessage(5513, LogLevel.Warning, "Modal submission of Slack user {SlackUserId} ({CallbackId}) refused: {Why}")]
    private static partial void LogUnbound(ILogger logger, string slackUserId, string callbackId, string why);

    [LoggerMessage(313, LogLevel.Error, "Click of Slack user {SlackUserId} on {RequestId} not recorded: storage failed or was too slow before anything was written")]
    private static partial void LogClickNotRecorded(ILogger logger, Exception exception, string slackUserId, string requestId);

    [LoggerMessage(314, LogLevel.Error, "Click of Slack user {SlackUserId} on {RequestId} not confirmed: storage failed or was too slow after the decision was sent")]
    private static partial void LogClickNotConfirmed(ILogger logger, Exception exception, string slackUserId, string requestId);

    [LoggerMessage(316, LogLevel.Error, "Click of Slack user {SlackUserId} on {RequestId} not confirmed within {Budget}: answered, the handler carries on")]
    private static partial void LogClickLate(ILogger logger, string slackUserId, string requestId, TimeSpan budget);

    [LoggerMessage(317, LogLevel.Error, "Click of Slack user {SlackUserId} on {RequestId} failed after its answer")]
    private static partial void LogClickLateFailure(ILogger logger, Exception exception, string slackUserId, string requestId);

    [LoggerMessage(315, LogLevel.Warning, "No time left to reply privately to {SlackUserId} within Slack's 3 seconds")]
    private static partial void LogReplyOutOfTime(ILogger logger, string slackUserId);

    [LoggerMessage(1503, LogLevel.Warning, "Slack event: the Home tab of {SlackUserId} could not be queued (Slack retries)")]
    private static partial void LogQueueFailed(ILogger logger, Exception exception, string slackUserId);

    [LoggerMessage(1504, LogLevel.Information, "Slack event: {SlackUserId} opened the Home tab (delivery retry {RetryNum})")]
    private static partial void LogHomeOpened(ILogger logger, string slackUserId, string retryNum);

    [LoggerMessage(306, LogLevel.Warning, "Could not send an ephemeral message to {SlackUserId}")]
    private static partial void LogEphemeralFailed(ILogger logger, Exception exception, string slackUserId);
}
