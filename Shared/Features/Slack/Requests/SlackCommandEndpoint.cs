using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>
/// The slash command endpoint (<c>/sgbridge</c>), without HTTP: verifies Slack's signature over the raw body (as the
/// interactions endpoint does), parses the form and opens the request modal. Answers 401 for a bad signature, 400 for a
/// body a real slash command never has, else 200 (with an ephemeral text when there is something to tell the user).
/// </summary>
public sealed partial class SlackCommandEndpoint(
    SlackRequestVerifier verifier,
    SlackRequestService requests,
    ILogger<SlackCommandEndpoint> logger)
{
    public const string Usage = "`/sgbridge` (or `/sgbridge request`) opens a form to ask for a security group rule; approvers decide in Slack and SgBridge adds it once approved. `/sgbridge help` shows this.";

    public async Task<SlackAnswer> HandleAsync(ReadOnlyMemory<byte> body, string? timestamp, string? signature, CancellationToken cancellationToken)
    {
        var check = verifier.Verify(body.Span, timestamp, signature);
        if (!check.IsValid)
        {
            LogUnauthenticated(logger, check.Status);
            return new SlackAnswer(401, null, $"Slack signature check failed: {check.Status}.");
        }
        var parsed = SlackRequestPayloadParser.ParseCommand(body.Span);
        if (parsed.Value is not { } command)
        {
            LogBadCommand(logger, parsed.Error);
            return new SlackAnswer(400, null, parsed.Error!);
        }
        switch (command.Text.Trim().ToLowerInvariant())
        {
            case "" or "request":
                var failure = await requests.OpenModalAsync(command.TriggerId, command.UserId, cancellationToken);
                return failure is null ? SlackAnswer.Empty("modal opened") : Ephemeral(":warning: " + failure, "modal failed");
            case "help":
                return Ephemeral(Usage, "help");
            default:
                return Ephemeral($"Unknown option {SlackText.Quote(command.Text.Trim(), 40)}. {Usage}", "unknown option");
        }
    }

    /// <summary>A slash command's immediate answer: shown only to the user who typed it.</summary>
    private static SlackAnswer Ephemeral(string text, string detail) =>
        new(200, new JsonObject { ["response_type"] = "ephemeral", ["text"] = text }, detail);

    [LoggerMessage(5410, LogLevel.Warning, "Slack command rejected: signature {Status}")]
    private static partial void LogUnauthenticated(ILogger logger, SlackSignatureStatus status);

    [LoggerMessage(5411, LogLevel.Warning, "Slack command rejected: {Error}")]
    private static partial void LogBadCommand(ILogger logger, string? error);
}
