using System.Text.Json.Nodes;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>The <c>/sgbridge</c> slash command: opens the request modal, or shows the usage.</summary>
public sealed class RequestCommandHandler(SlackRequestService requests) : ISlashCommandHandler
{
    public const string Usage = "`/sgbridge` (or `/sgbridge request`) opens a form to ask for a security group rule; approvers decide in Slack and SgBridge adds it once approved. `/sgbridge help` shows this.";

    public async Task<DecisionResult> HandleAsync(SlackCommand command, CancellationToken cancellationToken)
    {
        switch (command.Text.Trim().ToLowerInvariant())
        {
            case "" or "request":
                var failure = await requests.OpenModalAsync(command.TriggerId, command.UserId, cancellationToken);
                return failure is null ? DecisionResult.Answer("modal opened") : Ephemeral(":warning: " + failure, "modal failed");
            case "help":
                return Ephemeral(Usage, "help");
            default:
                return Ephemeral($"Unknown option {SlackText.Quote(command.Text.Trim(), 40)}. {Usage}", "unknown option");
        }
    }

    private static DecisionResult Ephemeral(string text, string detail) =>
        DecisionResult.Answer(detail, new JsonObject { ["response_type"] = "ephemeral", ["text"] = text });
}

/// <summary>The "Request a rule" global shortcut: opens the request modal (no channel, no response_url: a failure can only be logged).</summary>
public sealed class RequestShortcutHandler(SlackRequestService requests) : IShortcutHandler
{
    public string CallbackId => RequestBlocks.RequestCallback;

    public async Task<DecisionResult> HandleAsync(SlackShortcut shortcut, CancellationToken cancellationToken) =>
        DecisionResult.Answer(await requests.OpenModalAsync(shortcut.TriggerId, shortcut.UserId, cancellationToken) ?? "modal opened");
}

/// <summary>The request modal submitted: checked field by field and against AWS, then a Pending request opened for it.</summary>
public sealed class RequestSubmissionHandler(SlackRequestService requests) : IViewSubmissionHandler
{
    public string CallbackId => RequestBlocks.RequestCallback;

    public Task<DecisionResult> HandleAsync(SlackViewSubmission submission, CancellationToken cancellationToken) => requests.SubmitAsync(submission, cancellationToken);
}
