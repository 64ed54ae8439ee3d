using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>The requester's reason after a revert: the DM with "Give a reason", the modal, its confirmation, and the approver-message line.</summary>
public static class ReasonMessages
{
    public static (string Text, JsonArray Blocks) Ask(ChangeRequest r)
    {
        var text = $":leftwards_arrow_with_hook: SgBridge reverted your change to {SlackText.Code(SlackText.Plain(r.GroupName ?? r.GroupId ?? "?", 255))} "
            + $"in {SlackText.Code(r.AccountId)} ({SlackText.Code(r.Region)}): request {r.Id} waits for approvers. Tell them why you need it.";
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text, ["verbatim"] = true } },
            new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Give a reason" },
                        ["action_id"] = ActionIds.For(ActionIds.GiveReason, r.Id),
                        ["value"] = r.Id,
                    },
                },
            },
        };
        return (SlackText.Fallback(text, SlackLimits.TopLevelText), blocks);
    }

    /// <summary>The reason modal; <paramref name="sealedMetadata"/> carries the request id, sealed for the requester (<see cref="ModalSeal"/>).</summary>
    public static JsonObject Modal(ChangeRequest r, string sealedMetadata) => new()
    {
        ["type"] = "modal",
        ["callback_id"] = ActionIds.ReasonCallback,
        ["private_metadata"] = sealedMetadata,
        ["title"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Reason" },
        ["submit"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Send" },
        ["close"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Cancel" },
        ["blocks"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "input",
                ["block_id"] = RequestBlocks.Reason,
                ["label"] = new JsonObject { ["type"] = "plain_text", ["text"] = $"Why do you need the change of {SlackText.Plain(r.Id, 40)}?" },
                ["element"] = new JsonObject
                {
                    ["type"] = "plain_text_input",
                    ["action_id"] = RequestBlocks.Value,
                    ["multiline"] = true,
                    ["max_length"] = ChangeRequest.MaxReasonLength,
                    ["initial_value"] = r.RequesterReason?.Text ?? "",
                },
            },
        },
    };

    public static JsonObject Thanks(string requestId, bool replaced) => new()
    {
        ["type"] = "modal",
        ["title"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Reason" },
        ["close"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Done" },
        ["blocks"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = replaced
                    ? $"Your new reason replaces the earlier one on {requestId}; the approvers see it."
                    : $"Thanks: the approvers of {requestId} see your reason." },
            },
        },
    };

    /// <summary>The approvers' line for a reverted change's reason (the same rendering as a Slack request's reason); empty when none.</summary>
    public static string Line(ChangeRequest r) => r.RequesterReason is { } reason
        ? $"\n*Reason* (from {ApprovalMessageBuilder.Mention(reason.SlackUserId)}{(reason.Revision > 1 ? ", updated" : "")}): {SlackText.Quote(reason.Text, ChangeRequest.MaxReasonLength)}"
        : "";
}
