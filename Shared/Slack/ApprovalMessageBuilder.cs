using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

/// <summary>A Slack message: fallback text (notifications, screen readers) and Block Kit blocks.</summary>
public sealed record SlackMessage(string Text, JsonArray Blocks);

/// <summary>
/// The only place Block Kit JSON is built. Everything that comes from AWS (descriptions, session names, group names)
/// is escaped, so a rule description cannot ping a channel or forge a link.
/// </summary>
public static class ApprovalMessageBuilder
{
    private const int MaxRulesShown = 20;
    private const int MaxSectionChars = 2900;

    /// <summary>The approvers' message: the request, its risk flags and, while it is pending, Approve / Deny.</summary>
    public static SlackMessage ForApprovers(ChangeRequest r, string? accountAlias, string? requesterSlackUserId) =>
        Build(r, accountAlias, requesterSlackUserId, withButtons: r.Status == RequestStatus.Pending);

    /// <summary>The monitoring channel's message: the same request, never with buttons, always with its status.</summary>
    public static SlackMessage ForMonitoring(ChangeRequest r, string? accountAlias, string? requesterSlackUserId) =>
        Build(r, accountAlias, requesterSlackUserId, withButtons: false);

    /// <summary>
    /// A batch's approvers' message: one block pair per change (its own Approve / Deny while pending) and
    /// Approve all / Deny all for what is still pending. A batch of one is the single-request message.
    /// </summary>
    public static SlackMessage ForApprovers(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId) =>
        batch.Count == 1 ? ForApprovers(batch[0], accountAlias, requesterSlackUserId) : BuildBatch(batch, accountAlias, requesterSlackUserId, withButtons: true);

    public static SlackMessage ForMonitoring(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId) =>
        batch.Count == 1 ? ForMonitoring(batch[0], accountAlias, requesterSlackUserId) : BuildBatch(batch, accountAlias, requesterSlackUserId, withButtons: false);

    /// <summary>One thread reply for several outcomes (a batch decided at once), one line each.</summary>
    public static string OutcomeReply(IReadOnlyList<(ChangeRequest Request, RequestStatus Status)> outcomes) =>
        outcomes.Count == 1
            ? OutcomeReply(outcomes[0].Request, outcomes[0].Status)
            : string.Join("\n", outcomes.Select(o => $"*{o.Request.Id}* {OutcomeReply(o.Request, o.Status)}"));

    private static SlackMessage BuildBatch(IReadOnlyList<ChangeRequest> batch, string? alias, string? requesterSlackUserId, bool withButtons)
    {
        var lead = batch[0];
        var pending = batch.Count(r => r.Status == RequestStatus.Pending);
        var blocks = new JsonArray
        {
            Header($"{(pending > 0 ? ":shield:" : ":white_check_mark:")} {batch.Count} changes on {lead.GroupId ?? lead.GroupName} — {(pending > 0 ? $"{pending} waiting for approval" : "all decided")}"),
            Fields(
                ("Requester", RequesterText(lead.Requester, requesterSlackUserId)),
                ("Security group", lead.GroupName is null ? Code(lead.GroupId) : $"{Code(lead.GroupId)} ({Escape(lead.GroupName)})"),
                ("Account", alias is null ? lead.AccountId : $"{lead.AccountId} ({Escape(alias)})"),
                ("Region", lead.Region),
                ("VPC", lead.VpcId is null ? "-" : Code(lead.VpcId)),
                ("Batch", Code(lead.Id))),
        };
        foreach (var r in batch)
        {
            var flags = RiskAssessor.Assess(r);
            var text = $"{StatusEmoji(r.Status)} *{r.Id}* · {KindTitle(r.Kind)} · _{StatusTitle(r.Status)}_\n" + RulesText(r)
                + (flags.Count > 0 ? "\n:warning: " + string.Join("; ", flags.Select(Escape)) : "");
            blocks.Add(Section(text.Length <= MaxSectionChars ? text : text[..MaxSectionChars] + "…"));
            if (withButtons && r.Status == RequestStatus.Pending)
            {
                blocks.Add(Buttons(r.Id));
            }
            else
            {
                blocks.Add(Context(DecisionText(r) is { } d ? d : BridgeDidText(r)));
            }
        }
        if (withButtons && pending > 1)
        {
            blocks.Add(AllButtons(lead.Id, pending));
        }
        blocks.Add(Context($"Each change was reverted at once by the bridge; approving one puts exactly that change back. Events: {string.Join(", ", batch.Select(r => Code(r.EventId)))}"));
        var summary = $"{batch.Count} changes by {lead.Requester.DisplayName} on {lead.GroupId ?? lead.GroupName} ({lead.AccountId}, {lead.Region}): {pending} pending";
        return new SlackMessage(summary, blocks);
    }

    private static JsonObject AllButtons(string leadId, int pending) => new()
    {
        ["type"] = "actions",
        ["block_id"] = "sgbridge_batch_decision",
        ["elements"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.ApproveAll,
                ["style"] = "primary",
                ["value"] = leadId,
                ["text"] = PlainText($"Approve all {pending} pending"),
                ["confirm"] = Confirm($"Approve all {pending} pending changes?", "Each one is applied in AWS exactly as requested.", "Approve all", "primary"),
            },
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.DenyAll,
                ["style"] = "danger",
                ["value"] = leadId,
                ["text"] = PlainText($"Deny all {pending} pending"),
                ["confirm"] = Confirm($"Deny all {pending} pending changes?", "They stay reverted.", "Deny all", "danger"),
            },
        },
    };

    private static JsonObject Confirm(string title, string text, string confirm, string style) => new()
    {
        ["title"] = PlainText(title.Length > 100 ? title[..100] : title),
        ["text"] = PlainText(text),
        ["confirm"] = PlainText(confirm),
        ["deny"] = PlainText("Cancel"),
        ["style"] = style,
    };

    /// <summary>The thread reply that records one outcome under the monitoring message.</summary>
    public static string OutcomeReply(ChangeRequest r, RequestStatus status) => status switch
    {
        RequestStatus.Pending => $":rewind: Reverted at once with {Code(r.Revert?.Call)}. Waiting for an approver.",
        RequestStatus.RevertFailed => $":rotating_light: *Revert failed*: {Escape(r.Revert?.ErrorCode)}. {Escape(r.Revert?.Message)} The unapproved change may still be live: check the group now.",
        RequestStatus.Exempt => $":information_source: Exempt, not reverted: {Escape(r.ExemptReason)}.",
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} at {When(r.DecidedAt)}. Applying in AWS…",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} at {When(r.DecidedAt)}. The change stays reverted.",
        RequestStatus.Applied => $":large_green_circle: Applied in AWS with {Code(r.Apply?.Call)}.",
        RequestStatus.ApplyFailed => $":x: *Apply failed*: `{Escape(r.Apply?.ErrorCode)}`. {Escape(r.Apply?.Message)}",
        RequestStatus.Expired => ":hourglass: Expired without a decision. The change stays reverted.",
        _ => $"Status: {r.Status}",
    };

    public static string Summary(ChangeRequest r)
    {
        var what = r.Kind switch
        {
            ChangeKind.Add => "add",
            ChangeKind.Remove => "remove",
            _ => "modify",
        };
        var count = r.Kind == ChangeKind.Modify ? r.Edits.Count : r.Rules.Count + r.UnresolvedRuleIds.Count;
        return $"{r.Id}: {r.Requester.DisplayName} wants to {what} {count} inbound rule{(count == 1 ? "" : "s")} on {r.GroupId ?? r.GroupName} ({r.AccountId}, {r.Region}) — {r.Status}";
    }

    private static SlackMessage Build(ChangeRequest r, string? alias, string? requesterSlackUserId, bool withButtons)
    {
        var blocks = new JsonArray
        {
            Header($"{StatusEmoji(r.Status)} {r.Id}: {KindTitle(r.Kind)} — {StatusTitle(r.Status)}"),
            Fields(
                ("Requester", RequesterText(r.Requester, requesterSlackUserId)),
                ("Change", KindTitle(r.Kind)),
                ("Security group", r.GroupName is null ? Code(r.GroupId) : $"{Code(r.GroupId)} ({Escape(r.GroupName)})"),
                ("Account", alias is null ? r.AccountId : $"{r.AccountId} ({Escape(alias)})"),
                ("Region", r.Region),
                ("VPC", r.VpcId is null ? "-" : Code(r.VpcId))),
            Section(RulesText(r)),
        };
        var flags = RiskAssessor.Assess(r);
        if (flags.Count > 0)
        {
            blocks.Add(Section(":warning: *Risk*\n" + string.Join("\n", flags.Select(f => "• " + Escape(f)))));
        }
        blocks.Add(Context(BridgeDidText(r)));
        if (withButtons)
        {
            blocks.Add(Buttons(r.Id));
        }
        else if (DecisionText(r) is { } decided)
        {
            blocks.Add(Context(decided));
        }
        blocks.Add(Context($"CloudTrail event `{Escape(r.EventId)}` · {Escape(r.EventName)} at {When(r.EventTime)} · from {Escape(r.Requester.SourceIp ?? "?")}"));
        return new SlackMessage(Summary(r), blocks);
    }

    private static string RulesText(ChangeRequest r)
    {
        var (title, lines) = r.Kind switch
        {
            ChangeKind.Modify => ("*Rule edits* (before → after)", r.Edits.Select(e =>
                $"• {Code(e.RuleId)}: {(e.Before is null ? "_previous content unknown_" : Escape(e.Before.Describe()))} → *{Escape(e.After.Describe())}*").ToList()),
            ChangeKind.Add => ("*Rules to add*", r.Rules.Select(x => "• " + Escape(x.Describe())).ToList()),
            _ => ("*Rules to remove*", r.Rules.Select(x => "• " + Escape(x.Describe()))
                .Concat(r.UnresolvedRuleIds.Select(id => $"• {Code(id)} (_content unknown_)")).ToList()),
        };
        if (lines.Count == 0)
        {
            return title + "\n_none_";
        }
        // Slack caps a section at 3,000 characters: show what fits and say how many more there are.
        var text = new StringBuilder(title);
        var shown = 0;
        foreach (var line in lines.Take(MaxRulesShown))
        {
            if (text.Length + line.Length + 1 > MaxSectionChars - 80)
            {
                break;
            }
            text.Append('\n').Append(line);
            shown++;
        }
        if (shown < lines.Count)
        {
            text.Append($"\n… and {lines.Count - shown} more (request {r.Id} in Table Storage has them all)");
        }
        return text.ToString();
    }

    private static string BridgeDidText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Exempt => $"Not reverted: {Escape(r.ExemptReason)}",
        RequestStatus.Reverting => "Reverting…",
        RequestStatus.RevertFailed => $":rotating_light: Revert FAILED ({Escape(r.Revert?.ErrorCode)}): the change may still be live.",
        _ when r.Revert is { } rev => $"Already reverted by the bridge: {Code(rev.Call)}" + (r.PreviousContentUnknown ? " (failed closed: previous content unknown)" : ""),
        _ => "",
    };

    private static string? DecisionText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} at {When(r.DecidedAt)}; applying…",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} at {When(r.DecidedAt)}",
        RequestStatus.Applied => $":white_check_mark: Approved by {Who(r)} at {When(r.DecidedAt)} · applied",
        RequestStatus.ApplyFailed => $":x: Approved by {Who(r)} at {When(r.DecidedAt)} · apply failed: `{Escape(r.Apply?.ErrorCode)}` {Escape(r.Apply?.Message)}",
        RequestStatus.Expired => ":hourglass: Expired without a decision",
        RequestStatus.Pending => "Waiting for an approver",
        _ => null,
    };

    private static string RequesterText(Requester q, string? slackUserId)
    {
        var text = Escape(q.DisplayName);
        if (slackUserId is not null)
        {
            text = $"<@{slackUserId}> ({text})";
        }
        return $"{text}\n{Code(q.Arn ?? q.PrincipalId ?? "?")}";
    }

    private static JsonObject Buttons(string requestId) => new()
    {
        ["type"] = "actions",
        ["block_id"] = "sgbridge_decision",
        ["elements"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.Approve,
                ["style"] = "primary",
                ["value"] = requestId,
                ["text"] = PlainText("Approve"),
            },
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.Deny,
                ["style"] = "danger",
                ["value"] = requestId,
                ["text"] = PlainText("Deny"),
                ["confirm"] = Confirm("Deny this change?", $"{requestId} stays reverted and the requester has to ask again.", "Deny", "danger"),
            },
        },
    };

    private static JsonObject Header(string text) => new() { ["type"] = "header", ["text"] = PlainText(text.Length > 150 ? text[..150] : text) };

    private static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Mrkdwn(mrkdwn) };

    private static JsonObject Context(string mrkdwn) => new() { ["type"] = "context", ["elements"] = new JsonArray { Mrkdwn(mrkdwn.Length == 0 ? " " : mrkdwn) } };

    private static JsonObject Fields(params (string Label, string Value)[] fields)
    {
        var array = new JsonArray();
        foreach (var (label, value) in fields)
        {
            array.Add(Mrkdwn($"*{label}*\n{value}"));
        }
        return new JsonObject { ["type"] = "section", ["fields"] = array };
    }

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static string KindTitle(ChangeKind kind) => kind switch
    {
        ChangeKind.Add => "add inbound rules",
        ChangeKind.Remove => "remove inbound rules",
        _ => "modify inbound rules",
    };

    private static string StatusTitle(RequestStatus s) => s switch
    {
        RequestStatus.Pending => "approval needed",
        RequestStatus.RevertFailed => "REVERT FAILED",
        _ => s.ToString().ToLowerInvariant(),
    };

    private static string StatusEmoji(RequestStatus s) => s switch
    {
        RequestStatus.Pending => ":shield:",
        RequestStatus.Approved or RequestStatus.Applied => ":white_check_mark:",
        RequestStatus.Denied => ":no_entry:",
        RequestStatus.ApplyFailed or RequestStatus.RevertFailed => ":x:",
        RequestStatus.Exempt => ":information_source:",
        _ => ":hourglass:",
    };

    private static string Who(ChangeRequest r) => r.DecidedBy is null ? "?" : $"<@{r.DecidedBy}>";

    private static string When(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "?";

    private static string Code(string? s) => s is null ? "-" : "`" + Escape(s).Replace("`", "'", StringComparison.Ordinal) + "`";

    /// <summary>Slack's three control characters in mrkdwn: &amp;, &lt; and &gt;.</summary>
    public static string Escape(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return "";
        }
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
