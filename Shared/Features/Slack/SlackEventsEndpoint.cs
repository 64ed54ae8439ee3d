using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>What the events endpoint answers: the status, and a JSON body (the url_verification challenge) or none.</summary>
public sealed record SlackEventsAnswer(int StatusCode, string Detail, string? Json = null);

/// <summary>
/// The Slack Events API endpoint: answers <c>url_verification</c> and queues <c>app_home_opened</c> as <see cref="PublishHome"/>.
/// A retry is handled like the first delivery (publishing a tab again is harmless); a queue failure answers 503 so Slack retries.
/// </summary>
public sealed partial class SlackEventsEndpoint(
    SlackRequestVerifier verifier,
    IQueueSender queue,
    ILogger<SlackEventsEndpoint> logger)
{
    public const string RetryNumHeader = "X-Slack-Retry-Num";

    /// <summary>How long queueing may take: Slack gives the endpoint 3 seconds.</summary>
    internal static readonly TimeSpan QueueBudget = TimeSpan.FromSeconds(2);

    public async Task<SlackEventsAnswer> HandleAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, string? retryNum, CancellationToken cancellationToken)
    {
        var check = verifier.Verify(body.Span, timestamp, signature);
        if (!check.IsValid)
        {
            LogUnauthenticated(logger, check.Status);
            return new SlackEventsAnswer(401, $"Slack signature check failed: {check.Status}.");
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.Span));
            root = document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is JsonException or DecoderFallbackException)
        {
            LogBadPayload(logger, "the body is not JSON");
            return new SlackEventsAnswer(400, "The body is not a JSON object.");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new SlackEventsAnswer(400, "The body is not a JSON object.");
        }
        switch (Text(root, "type"))
        {
            case "url_verification":
                return Text(root, "challenge") is { } challenge
                    ? new SlackEventsAnswer(200, "url_verification", new JsonObject { ["challenge"] = challenge }.ToJsonString())
                    : new SlackEventsAnswer(400, "The url_verification request has no challenge.");
            case "event_callback":
                break;
            default:
                return new SlackEventsAnswer(200, "Not an event SgBridge handles.");
        }
        var e = root.TryGetProperty("event", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : default;
        if (e.ValueKind != JsonValueKind.Object || Text(e, "type") != "app_home_opened" || Text(e, "tab") != "home")
        {
            return new SlackEventsAnswer(200, "Not an event SgBridge handles.");
        }
        if (Text(e, "user") is not { } user || !SlackIds.IsUserId(user))
        {
            LogBadPayload(logger, "app_home_opened without a user id");
            return new SlackEventsAnswer(400, "The app_home_opened event has no user id.");
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
            return new SlackEventsAnswer(503, "The Home tab could not be queued; Slack retries the event.");
        }
        LogHomeOpened(logger, user, retryNum ?? "0");
        return new SlackEventsAnswer(200, "Home tab queued.");
    }

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

    [LoggerMessage(1501, LogLevel.Warning, "Slack event rejected: signature {Status}")]
    private static partial void LogUnauthenticated(ILogger logger, SlackSignatureStatus status);

    [LoggerMessage(1502, LogLevel.Warning, "Slack event rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string error);

    [LoggerMessage(1503, LogLevel.Warning, "Slack event: the Home tab of {SlackUserId} could not be queued (Slack retries)")]
    private static partial void LogQueueFailed(ILogger logger, Exception exception, string slackUserId);

    [LoggerMessage(1504, LogLevel.Information, "Slack event: {SlackUserId} opened the Home tab (delivery retry {RetryNum})")]
    private static partial void LogHomeOpened(ILogger logger, string slackUserId, string retryNum);
}
