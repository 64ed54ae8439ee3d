using System.Text.Json.Nodes;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Time-bound approvals: duration choices, access lines, Revoke and Extend, and the notices when access ends.</summary>
public static partial class ApprovalMessageBuilder
{
    /// <summary>The approvers' message (or its compact form) with the configured duration choices and, for applied time-bound access, Revoke buttons.</summary>
    public static SlackMessage WithAccessChoices(this SlackMessage message, IReadOnlyList<ChangeRequest> batch,
        IReadOnlyList<ApprovalDuration> durations) =>
        message.View is { } view ? Render(view with { Durations = durations }) : message;

    /// <summary>One change's choices: a duration select (or one Approve button) and Deny. Without durations: Approve (permanent).</summary>
    private static JsonObject Controls(ChangeRequest r, IReadOnlyList<ApprovalDuration>? durations, bool compact, bool shortConfirm)
    {
        var approve = ApproveElement(r.Id, ActionIds.Approve, ActionIds.ApproveFor, r.Kind == ChangeKind.Remove, durations,
            compact ? $"Approve {r.Id}" : "Approve", compact ? $"Approve {r.Id} for…" : "Approve for…");
        if (IsRisky(r))
        {
            approve["confirm"] = RiskConfirm(r, ChosenWords(approve), shortConfirm);
        }
        var deny = Button(ActionIds.For(ActionIds.Deny, r.Id), r.Id, compact ? $"Deny {r.Id}" : "Deny", "danger");
        return Actions("sgbridge_decision:" + r.Id, approve, deny);
    }

    /// <summary>A button when no duration applies or one is offered, else a static_select (<see cref="ApprovalDurationActions"/>).</summary>
    private static JsonObject ApproveElement(string id, string plainPrefix, string forPrefix, bool noDuration, IReadOnlyList<ApprovalDuration>? durations, string buttonText, string placeholder)
    {
        if (durations is null || durations.Count == 0 || (noDuration && durations.Any(d => d.IsPermanent)))
        {
            return Button(ActionIds.For(plainPrefix, id), id, buttonText, "primary");
        }
        if (noDuration)
        {
            // "permanent" is not offered, but a removal takes access away: any offered label decides it, and the decision records no duration.
            return Button(ApprovalDurationActions.ActionId(forPrefix, durations[0].Label, id), id, buttonText, "primary");
        }
        if (durations.Count == 1)
        {
            var only = durations[0];
            return Button(ApprovalDurationActions.ActionId(forPrefix, only.Label, id), id, $"{buttonText} {only.Words}", "primary");
        }
        return Select(ActionIds.For(forPrefix, id), placeholder,
            durations.Select(d => (d.IsPermanent ? "permanently" : "for " + d.Label, ApprovalDurationActions.ActionId(forPrefix, d.Label, id))));
    }

    /// <summary>What the approve element grants, for its confirmation: "for 8h", "permanently", or the duration picked in a select.</summary>
    private static string ChosenWords(JsonObject approve) =>
        (string?)approve["type"] == "static_select" ? "for the duration you picked"
        : ApprovalDurationActions.TryParse((string?)approve["action_id"] ?? "", ActionIds.ApproveFor, out var label, out _)
            ? label == ApprovalDuration.PermanentLabel ? "permanently" : "for " + label
            : "permanently";

    /// <summary>The one confirmation of a risky change: what is approved, for how long (first, so it is never cut), then the flags.</summary>
    private static JsonObject RiskConfirm(ChangeRequest r, string chosen, bool shortText)
    {
        var flags = Flags(r);
        var riskiest = Riskiest(r) ?? flags[0];
        var text = shortText
            ? $"Approve {r.Id} {chosen}? It opens risky access: {riskiest}{(flags.Count > 1 ? $" (+{flags.Count - 1} more)" : "")}."
            : $"Approve {r.Id} {chosen}? It opens risky access: {string.Join("; ", flags)}.";
        return Confirm($"Approve risky {r.Id}?", text, "Approve", "primary");
    }

    /// <summary>Approve all (a duration select, or a button when none applies) and Deny all, for a batch's pending changes.</summary>
    private static JsonObject AllControls(string leadId, IReadOnlyList<ChangeRequest> pending, IReadOnlyList<ApprovalDuration>? durations)
    {
        var removals = pending.All(r => r.Kind == ChangeKind.Remove);
        var approve = ApproveElement(leadId, ActionIds.ApproveAll, ActionIds.ApproveAllFor, removals, durations,
            $"Approve all {pending.Count} pending", $"Approve all {pending.Count} pending for…");
        var risky = pending.Count(IsRisky);
        var granting = pending.Count(r => r.Kind != ChangeKind.Remove);
        var chosen = ChosenWords(approve);
        approve["confirm"] = Confirm($"Approve all {pending.Count} pending changes?",
            (removals ? "Each removal is applied in AWS exactly as requested."
                : $"{granting} change(s) are approved {chosen}" + (granting < pending.Count ? $"; {pending.Count - granting} removal(s) take effect for good" : "") + ". Each is applied exactly as requested.")
            + (risky > 0 ? $" {risky} of them open risky access." : ""),
            "Approve all", "primary");
        var deny = Button(ActionIds.For(ActionIds.DenyAll, leadId), leadId, $"Deny all {pending.Count} pending", "danger");
        deny["confirm"] = Confirm($"Deny all {pending.Count} pending changes?", "They stay reverted.", "Deny all", "danger");
        return Actions("sgbridge_batch_decision:" + leadId, approve, deny);
    }

    /// <summary>Under Approve all, when its duration does not apply to every change: which ones it does not bind.</summary>
    private static string? AllNote(IReadOnlyList<ChangeRequest> pending, IReadOnlyList<ApprovalDuration>? durations)
    {
        var removals = pending.Count(r => r.Kind == ChangeKind.Remove);
        return durations is { Count: > 0 } && removals > 0 && removals < pending.Count
            ? $"Approve all: the duration applies to the {pending.Count - removals} change(s) that open access; the {removals} removal(s) take access away for good."
            : null;
    }

    /// <summary>For approvers: how time-bound access ended, and live time-bound access with its Revoke buttons.</summary>
    private static void AddAccess(JsonArray blocks, RequestView v, bool compact)
    {
        if (!v.Approvers)
        {
            return;
        }
        var ended = v.Batch.Count > 1 ? v.Batch.Where(r => r.Status == RequestStatus.AccessEnded).ToList() : [];
        if (ended.Count > 0 && blocks.Count < SlackLimits.BlocksPerMessage - 1)
        {
            blocks.Add(Context(SlackText.Lines(null, ended.Select(AccessEndedLine).ToList(), SlackLimits.SectionText)));
        }
        var live = v.Batch.Where(r => r.Status == RequestStatus.Applied && r.AccessUntil is not null).Take(SlackLimits.ActionsElements).ToList();
        if (live.Count > 0)
        {
            blocks.Add(Context(SlackText.Lines(null, live.Select(AccessLine).ToList(), SlackLimits.SectionText)));
            blocks.Add(RevokeButtons(live, compact: compact || v.Batch.Count > 1));
        }
    }

    /// <summary>"⏳ access until …" for an approval that lasts a time; "approved permanently" for one that does not.</summary>
    public static string AccessLine(ChangeRequest r) =>
        r.AccessUntil is { } until
            ? $":hourglass_flowing_sand: {r.Id}: access for {ApprovalDuration.Format(r.ApprovedFor!.Value)}, until {When(until)}; then it is revoked."
            : $"{r.Id}: approved permanently.";

    /// <summary>How an access ended, for the approvers' message: expired, or revoked early by whom.</summary>
    public static string AccessEndedLine(ChangeRequest r) =>
        r.AccessEndReason == AccessEndReason.Revoked
            ? $":lock: {r.Id}: approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)}; access revoked early by {(r.AccessEndedBy is { } by ? Mention(by) : "an approver")} {When(r.AccessEndedAt)}."
            : $":hourglass: {r.Id}: approved by {Who(r)} {When(r.DecidedAt)} for {(r.ApprovedFor is { } d ? ApprovalDuration.Format(d) : "?")}; access ended {When(r.AccessEndedAt)}.";

    /// <summary>The thread reply and the requester's message when access ended (past tense: what was granted, and that it is gone).</summary>
    public static string AccessEndedText(ChangeRequest r)
    {
        var how = r.AccessEndReason == AccessEndReason.Revoked
            ? $":lock: Access of {r.Id} revoked early by {(r.AccessEndedBy is { } by ? Mention(by) : "an approver")} {When(r.AccessEndedAt)}"
            : $":hourglass: Access of {r.Id} ended {When(r.AccessEndedAt)} (approved for {(r.ApprovedFor is { } d ? ApprovalDuration.Format(d) : "?")})";
        return SlackText.Truncate($"{how}: {AccessPhrase(r)} has left the approved state and is being revoked in AWS.",
            SlackLimits.TopLevelText);
    }

    /// <summary>The monitoring channel's alert when a tick could not end access (it is retried every tick).</summary>
    public static string AccessEndFailedText(AccessExpiryEntry entry, string reason) =>
        SlackText.Truncate(
            $":rotating_light: Could not end the access of {SlackText.Code(entry.RequestId)} on {SlackText.Code(SlackText.Plain(entry.GroupId, 60))} "
            + $"({SlackText.Code(entry.AccountId)}, {SlackText.Code(SlackText.Plain(entry.Region, 40))}): {SlackText.Quote(reason, 400)}. "
            + "The rule is out of the approved state; the bridge retries every minute until AWS follows.", SlackLimits.TopLevelText);

    /// <summary>The requester's message when a time-bound approval is applied: until when, with Extend.</summary>
    public static SlackMessage AccessGranted(ChangeRequest r)
    {
        var what = r.Kind == ChangeKind.Remove ? "the removal of " + AccessPhrase(r) : AccessPhrase(r);
        var text = $":white_check_mark: Your change {r.Id} was approved{GrantWords(r)}: {what}.";
        var blocks = new JsonArray { Section(text), Context(AccessLine(r)) };
        if (r.AccessUntil is not null)
        {
            blocks.Add(Actions("sgbridge_extend:" + r.Id, Button(ActionIds.For(ActionIds.ExtendAccess, r.Id), r.Id, "Ask to extend", null)));
        }
        return new SlackMessage(SlackText.Fallback(text, SlackLimits.TopLevelText), blocks);
    }

    /// <summary>The requester's DM when their request is decided (approved, denied, expired); null for any other status.</summary>
    public static SlackMessage? DecisionDm(ChangeRequest r)
    {
        var what = $"{(r.Kind == ChangeKind.Remove ? "the removal of " : "")}{AccessPhrase(r)}";
        var text = r.Status switch
        {
            RequestStatus.Approved or RequestStatus.Applied => $":white_check_mark: Your request {r.Id} was approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)}: {what}. "
                + (r.Status == RequestStatus.Applied ? "It is applied in AWS." : "The bridge is applying it in AWS."),
            RequestStatus.ApplyFailed => $":x: Your request {r.Id} was approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)}, but applying it in AWS failed "
                + $"({SlackText.Code(SlackText.Plain(r.Apply?.ErrorCode, 80))}): {what}. The approvers see the error.",
            RequestStatus.Denied => $":no_entry: Your request {r.Id} was denied by {Who(r)} {When(r.DecidedAt)}: {what}. Nothing changes in AWS.",
            RequestStatus.Expired => $":hourglass: Your request {r.Id} expired without a decision: {what}. Nothing changes in AWS; ask again if you still need it.",
            _ => null,
        };
        return text is null ? null : new SlackMessage(SlackText.Fallback(text, SlackLimits.TopLevelText), new JsonArray { Section(text) });
    }

    /// <summary>"Extension of SG-… (its access ends …)": what an extension request extends.</summary>
    private static string ExtensionWords(ChangeRequest r) =>
        $"Asks to extend the access of {SlackText.Code(r.ExtendsRequestId)}"
        + (r.ExtendsAccessUntil is { } until ? $", which ends {When(until)}" : "");

    private static string ExtensionDidText(ChangeRequest r) =>
        $":hourglass_flowing_sand: {ExtensionWords(r)}. Nothing was reverted: the original access stays live until then; "
        + "approving grants the same rules again for the duration you pick, from the moment you approve.";

    private static JsonObject RevokeButtons(IReadOnlyList<ChangeRequest> live, bool compact) =>
        Actions("sgbridge_access:" + live[0].Id,
            live.Select(r => (JsonNode)RevokeButton(r, compact ? $"Revoke access {r.Id}" : "Revoke access now", $"Revoke {r.Id} now?"))
                .ToArray());

    private static JsonObject RevokeButton(ChangeRequest r, string text, string title)
    {
        var button = Button(ActionIds.For(ActionIds.RevokeAccess, r.Id), r.Id, text, "danger");
        button["confirm"] = Confirm(title, "The rule leaves the approved state and is revoked in AWS within seconds.", "Revoke", "danger");
        return button;
    }
}
