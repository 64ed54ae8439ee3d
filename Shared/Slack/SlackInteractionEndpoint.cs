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
        var result = await handler.HandleAsync(click, cancellationToken);
        if (result.Reply is { } reply)
        {
            await TellAsync(click, reply, cancellationToken);
        }
        return result;
    }

    private async Task TellAsync(SlackInteraction click, string text, CancellationToken ct)
    {
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(ReplyBudget);
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

    [LoggerMessage(306, LogLevel.Warning, "Could not send an ephemeral message to {SlackUserId}")]
    private static partial void LogEphemeralFailed(ILogger logger, Exception exception, string slackUserId);
}
