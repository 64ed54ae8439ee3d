using System.Text.Json.Nodes;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Time-bound approvals in the approver message: each Approve button becomes one button per configured duration
/// (<see cref="ApprovalsOptions.Durations"/>), and an applied time-bound approval shows until when, with a
/// "Revoke access" button. Applied to the built message, so the rest of the builder stays as it is.
/// </summary>
public static partial class ApprovalMessageBuilder
{
    /// <summary>Block Kit: an actions block holds at most 25 elements.</summary>
    private const int MaxActionsElements = 25;

    /// <summary>The approvers' message with the configured duration choices and, for applied time-bound access, Revoke buttons.</summary>
    public static SlackMessage WithAccessChoices(this SlackMessage message, IReadOnlyList<ChangeRequest> batch, IReadOnlyList<ApprovalDuration> durations)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(durations);
        var blocks = new JsonArray();
        foreach (var block in message.Blocks.ToList())
        {
            message.Blocks.Remove(block);
            if (block is JsonObject { } actions && (string?)actions["type"] == "actions" && actions["elements"] is JsonArray elements)
            {
                var replaced = new JsonArray();
                foreach (var element in elements.ToList())
                {
                    elements.Remove(element);
                    var id = (string?)element?["action_id"] ?? "";
                    if (ActionIds.Matches(id, ActionIds.Approve) || ActionIds.Matches(id, ActionIds.ApproveAll))
                    {
                        foreach (var choice in DurationButtons(element!.AsObject(), id, durations))
                        {
                            replaced.Add(choice);
                        }
                    }
                    else
                    {
                        replaced.Add(element);
                    }
                }
                actions["elements"] = replaced;
            }
            blocks.Add(block);
        }
        var ended = batch.Where(r => r.Status == RequestStatus.AccessEnded).ToList();
        if (ended.Count > 0 && blocks.Count < SlackLimits.BlocksPerMessage)
        {
            blocks.Add(Context(SlackText.Truncate(string.Join("\n", ended.Select(AccessEndedLine)), SlackLimits.SectionText)));
        }
        var live = batch.Where(r => r.Status == RequestStatus.Applied && r.AccessUntil is not null).Take(MaxActionsElements).ToList();
        if (live.Count > 0 && blocks.Count + 2 <= SlackLimits.BlocksPerMessage)
        {
            blocks.Add(Context(SlackText.Truncate(string.Join("\n", live.Select(AccessLine)), SlackLimits.SectionText)));
            blocks.Add(RevokeButtons(live, compact: batch.Count > 1));
        }
        return message with { Blocks = blocks };
    }

    /// <summary>"⏳ access until …" for an approval that lasts a time; null for a permanent one.</summary>
    public static string AccessLine(ChangeRequest r) => r.AccessUntil is { } until
        ? $":hourglass_flowing_sand: {r.Id}: access for {FormatDuration(r.ApprovedFor!.Value)}, until {When(until)}; then it is revoked."
        : $"{r.Id}: approved permanently.";

    /// <summary>How an access ended, for the approvers' message: expired, or revoked early by whom.</summary>
    public static string AccessEndedLine(ChangeRequest r) => r.AccessEndReason == AccessEndReason.Revoked
        ? $":lock: {r.Id}: approved by {Who(r)} {When(r.DecidedAt)}; access revoked early by {(r.AccessEndedBy is { } by ? Mention(by) : "an approver")} {When(r.AccessEndedAt)}"
        : $":hourglass: {r.Id}: approved by {Who(r)} {When(r.DecidedAt)} for {(r.ApprovedFor is { } d ? FormatDuration(d) : "?")}; access ended {When(r.AccessEndedAt)}";

    /// <summary>"1h", "90m", "7d": the shortest exact form.</summary>
    public static string FormatDuration(TimeSpan d) =>
        d.TotalDays >= 1 && d.Ticks % TimeSpan.TicksPerDay == 0 ? $"{d.TotalDays:0}d"
        : d.TotalHours >= 1 && d.Ticks % TimeSpan.TicksPerHour == 0 ? $"{d.TotalHours:0}h"
        : $"{Math.Ceiling(d.TotalMinutes):0}m";

    /// <summary>The thread reply and the requester's message when access ended.</summary>
    public static string AccessEndedText(ChangeRequest r) => SlackText.Truncate(r.AccessEndReason switch
    {
        AccessEndReason.Revoked => $":lock: Access of {r.Id} revoked early by {(r.AccessEndedBy is { } by ? Mention(by) : "an approver")} {When(r.AccessEndedAt)}: "
            + $"{Intent(r, plain: false)} is removed from the approved state and revoked in AWS.",
        _ => $":hourglass: Access of {r.Id} ended {When(r.AccessEndedAt)} (approved for {(r.ApprovedFor is { } d ? FormatDuration(d) : "?")}): "
            + $"{Intent(r, plain: false)} is removed from the approved state and revoked in AWS.",
    }, SlackLimits.TopLevelText);

    /// <summary>The monitoring channel's alert when a tick could not end access (it is retried every tick).</summary>
    public static string AccessEndFailedText(AccessExpiryEntry entry, string reason) => SlackText.Truncate(
        $":rotating_light: Could not end the access of {SlackText.Escape(entry.RequestId)} on {SlackText.Code(SlackText.Plain(entry.GroupId, 60))} "
        + $"({SlackText.Code(entry.AccountId)}, {SlackText.Escape(SlackText.Plain(entry.Region, 40))}): {SlackText.Escape(SlackText.Plain(reason, 400))}. "
        + "The rule is out of the approved state; the bridge retries every minute until AWS follows.", SlackLimits.TopLevelText);

    /// <summary>The requester's message when a time-bound approval is applied: until when, with Extend.</summary>
    public static SlackMessage AccessGranted(ChangeRequest r)
    {
        var text = $":white_check_mark: Your change {r.Id} was approved {(r.AccessUntil is null ? "permanently" : $"for {FormatDuration(r.ApprovedFor!.Value)}")}: {Intent(r, plain: false)}.";
        var blocks = new JsonArray { Section(text), Context(AccessLine(r)) };
        if (r.AccessUntil is not null)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = "sgbridge_extend:" + r.Id,
                ["elements"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "button",
                        ["action_id"] = ActionIds.For(ActionIds.ExtendAccess, r.Id),
                        ["value"] = r.Id,
                        ["text"] = PlainText("Ask to extend", SlackLimits.ButtonText),
                    },
                },
            });
        }
        return new SlackMessage(TopLevel(text, escape: false), blocks);
    }

    private static IEnumerable<JsonObject> DurationButtons(JsonObject approve, string actionId, IReadOnlyList<ApprovalDuration> durations)
    {
        var all = ActionIds.Matches(actionId, ActionIds.ApproveAll);
        var prefix = all ? ActionIds.ApproveAllFor : ActionIds.ApproveFor;
        var id = actionId[(actionId.IndexOf(ActionIds.Separator, StringComparison.Ordinal) + 1)..];
        var text = (string?)approve["text"]?["text"] ?? "Approve";
        foreach (var d in durations)
        {
            var button = approve.DeepClone().AsObject();
            button["action_id"] = ApprovalDurationActions.ActionId(prefix, d.Label, id);
            button["text"] = PlainText($"{text} {d.Words}", SlackLimits.ButtonText);
            button["style"] = d.IsPermanent ? null : "primary";
            if (button["style"] is null)
            {
                button.Remove("style");
            }
            yield return button;
        }
    }

    private static JsonObject RevokeButtons(IReadOnlyList<ChangeRequest> live, bool compact) => new()
    {
        ["type"] = "actions",
        ["block_id"] = "sgbridge_access:" + live[0].Id,
        ["elements"] = new JsonArray(live.Select(r => (JsonNode)new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = ActionIds.For(ActionIds.RevokeAccess, r.Id),
            ["style"] = "danger",
            ["value"] = r.Id,
            ["text"] = PlainText(compact ? $"Revoke access {r.Id}" : "Revoke access now", SlackLimits.ButtonText),
            ["confirm"] = Confirm($"Revoke {r.Id} now?", "The rule leaves the approved state and is revoked in AWS within seconds.", "Revoke", "danger"),
        }).ToArray()),
    };
}
