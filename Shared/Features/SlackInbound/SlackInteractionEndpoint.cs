using Microsoft.Extensions.Logging;
using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Slack;

/// <summary>
/// The Slack interactivity endpoint, without HTTP: verifies the signature over the raw body, parses the
/// <c>block_actions</c> payload, routes the click by action id to its <see cref="IBlockActionHandler"/> and sends the
/// handler's private reply to the clicker (a Slack hiccup there never undoes or delays the decision).
/// </summary>
public sealed partial class SlackInteractionEndpoint(
    SlackRequestVerifier verifier,
    SlackInteractionParser parser,
    IEnumerable<IBlockActionHandler> handlers,
    ISlackClient slack,
    ILogger<SlackInteractionEndpoint> logger,
    Requests.SlackRequestInteractions? requests = null)
{
    /// <summary>How long the private reply may take: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan ReplyBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// A click's deadline, storage and Slack look-ups included (whatever the SDK's own timeouts): the handler's token is
    /// cancelled then, so reads and checks stop and nothing is written. A decision's write, once sent, is not cut short
    /// (it runs to its own bounded end: Storage:TableNetworkTimeout × tries); the answer waits for it only until
    /// <see cref="HandlerBudget"/> + <see cref="CancelGrace"/> and then says it is not confirmed.
    /// </summary>
    internal static readonly TimeSpan HandlerBudget = TimeSpan.FromSeconds(1.8);

    /// <summary>How long a cancelled handler gets to end before the answer stops waiting for it.</summary>
    internal static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(0.3);

    /// <summary>The whole answer, the private reply included: inside Slack's 3 seconds with room for the host.</summary>
    internal static readonly TimeSpan AnswerBudget = TimeSpan.FromSeconds(2.6);

    private readonly IReadOnlyList<IBlockActionHandler> _handlers = handlers.ToList();

    public async Task<DecisionResult> HandleAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, CancellationToken cancellationToken)
    {
        var check = verifier.Verify(body.Span, timestamp, signature);
        if (!check.IsValid)
        {
            LogUnauthenticated(logger, check.Status);
            return new DecisionResult(DecisionOutcome.Unauthenticated, $"Slack signature check failed: {check.Status}.");
        }
        if (requests is not null && await requests.TryHandleAsync(body, cancellationToken) is { } answer)
        {
            // A shortcut or a modal submission (requests from Slack): answered with its own body.
            return new DecisionResult(answer.StatusCode == 400 ? DecisionOutcome.BadRequest : DecisionOutcome.Ignored, answer.Detail) { ResponseJson = answer.Body?.ToJsonString() };
        }
        var parsed = parser.Parse(body.Span);
        if (!parsed.Success)
        {
            LogBadPayload(logger, parsed.Error);
            return new DecisionResult(DecisionOutcome.BadRequest, parsed.Error);
        }
        var click = parsed.Interaction;
        var handler = _handlers.FirstOrDefault(h => ActionIds.Matches(click.ActionId, h.ActionId));
        if (handler is null)
        {
            return new DecisionResult(DecisionOutcome.Ignored, "The action is not one of SgBridge's buttons.");
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await HandleWithinBudgetAsync(handler, click, cancellationToken);
        if (result.Reply is { } reply)
        {
            var left = AnswerBudget - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            await TellAsync(click, reply, left < ReplyBudget ? left : ReplyBudget, cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// Waits for the handler at most <see cref="HandlerBudget"/>. When storage fails or is too slow the click is answered
    /// truthfully: "not recorded" when the handler failed before writing anything (<see cref="DecisionNotRecordedException"/>),
    /// else "not confirmed" (a write was sent, or the handler is still running: whether it lands is unknown).
    /// </summary>
    private async Task<DecisionResult> HandleWithinBudgetAsync(IBlockActionHandler handler, SlackInteraction click, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandlerBudget);
        var work = handler.HandleAsync(click, deadline.Token);
        try
        {
            return await work.WaitAsync(HandlerBudget + CancelGrace, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = work.ContinueWith(t => LogClickLateFailure(logger, t.Exception!, click.UserId, click.Value ?? "?"), CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            LogClickLate(logger, click.UserId, click.Value ?? "?", HandlerBudget);
            return new DecisionResult(DecisionOutcome.Unverified, "not confirmed in time: " + click.Value, Reply: DecisionReplies.NotConfirmed(click.Value));
        }
        catch (DecisionNotRecordedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogClickNotRecorded(logger, ex.InnerException ?? ex, click.UserId, ex.RequestId);
            return new DecisionResult(DecisionOutcome.Unverified, "not recorded: " + ex.RequestId, Reply: DecisionReplies.NotRecorded(ex.RequestId));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not (ArgumentException or Domain.RequestStateException))
        {
            var id = (ex as DecisionUnconfirmedException)?.RequestId ?? click.Value;
            LogClickNotConfirmed(logger, ex, click.UserId, id ?? "?");
            return new DecisionResult(DecisionOutcome.Unverified, "not confirmed: " + id, Reply: DecisionReplies.NotConfirmed(id));
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
            if (click.FromHome)
            {
                // A Home tab click has no channel to answer in: the reply reaches the clicker as a DM from the app.
                await slack.PostMessageAsync(click.UserId, text, null, null, budget.Token);
            }
            else
            {
                await slack.PostEphemeralAsync(click.ChannelId, click.UserId, text, budget.Token);
            }
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogEphemeralFailed(logger, ex, click.UserId);
        }
    }

    [LoggerMessage(301, LogLevel.Warning, "Slack interaction rejected: signature {Status}")]
    private static partial void LogUnauthenticated(ILogger logger, SlackSignatureStatus status);

    [LoggerMessage(309, LogLevel.Warning, "Slack interaction rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string? error);

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

    [LoggerMessage(306, LogLevel.Warning, "Could not send an ephemeral message to {SlackUserId}")]
    private static partial void LogEphemeralFailed(ILogger logger, Exception exception, string slackUserId);
}
