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
            ApprovalMessageBuilder.Section(text),
            ApprovalMessageBuilder.Actions(null, ApprovalMessageBuilder.Button(ActionIds.For(ActionIds.GiveReason, r.Id), r.Id, "Give a reason", null)),
        };
        return (SlackText.Fallback(text, SlackLimits.TopLevelText), blocks);
    }

    /// <summary>The reason modal; <paramref name="sealedMetadata"/> carries the request id, sealed for the requester (<see cref="ModalSeal"/>).</summary>
    public static JsonObject Modal(ChangeRequest r, string sealedMetadata)
    {
        var input = RequestModal.Text(null, multiline: true, maxLength: ChangeRequest.MaxReasonLength);
        input["initial_value"] = r.RequesterReason?.Text ?? "";
        return RequestModal.Modal("Reason", [RequestModal.Input(RequestBlocks.Reason, $"Why do you need the change of {SlackText.Plain(r.Id, 40)}?", input)],
            (ActionIds.ReasonCallback, "Send", sealedMetadata));
    }

    public static JsonObject Thanks(string requestId, bool replaced) => RequestModal.Modal("Reason",
    [
        ApprovalMessageBuilder.Section(replaced
            ? $"Your new reason replaces the earlier one on {requestId}; the approvers see it."
            : $"Thanks: the approvers of {requestId} see your reason."),
    ]);

    /// <summary>The approvers' line for a reverted change's reason (the same rendering as a Slack request's reason); empty when none.</summary>
    public static string Line(ChangeRequest r) => r.RequesterReason is { } reason
        ? $"\n*Reason* (from {ApprovalMessageBuilder.Mention(reason.SlackUserId)}{(reason.Revision > 1 ? ", updated" : "")}): {SlackText.Quote(reason.Text, ChangeRequest.MaxReasonLength)}"
        : "";
}
