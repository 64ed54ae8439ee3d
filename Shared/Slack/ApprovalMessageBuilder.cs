using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

/// <summary>A Slack message: fallback text (notifications, screen readers) and Block Kit blocks.</summary>
public sealed record SlackMessage(string Text, JsonArray Blocks);

/// <summary>
/// The only place Block Kit JSON is built. Everything that comes from AWS or a caller goes through
/// <see cref="SlackText"/> (escaped, fitted), every block within <see cref="SlackLimits"/>: a message is shrunk until all
/// of its block text fits <see cref="SlackLimits.TotalBlockText"/>, so Slack never refuses it for its size.
/// </summary>
public static partial class ApprovalMessageBuilder
{
    /// <summary>Per-change blocks (a section and its buttons or outcome) a batch message shows; the rest are counted.</summary>
    internal const int MaxChangesShown = (SlackLimits.BlocksPerMessage - 6) / 2;

    /// <summary>The approvers' message: the request, its risk flags and, while it is pending, Approve / Deny.</summary>
    public static SlackMessage ForApprovers(ChangeRequest r, string? accountAlias, string? requesterSlackUserId, UnresolvedRequesterPolicy? unresolved = null) =>
        Single(r, accountAlias, requesterSlackUserId, withButtons: r.Status == RequestStatus.Pending, unresolved);

    /// <summary>The monitoring channel's message: the same request, never with buttons, always with its status.</summary>
    public static SlackMessage ForMonitoring(ChangeRequest r, string? accountAlias, string? requesterSlackUserId) =>
        Single(r, accountAlias, requesterSlackUserId, withButtons: false, unresolved: null);

    /// <summary>
    /// A batch's approvers' message: one block pair per change (its own Approve / Deny while pending) and
    /// Approve all / Deny all for what is still pending. A batch of one is the single-request message.
    /// </summary>
    /// <para><paramref name="unresolved"/>: the requester could not be matched to a Slack user; the message says what approving then needs.</para>
    public static SlackMessage ForApprovers(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId, UnresolvedRequesterPolicy? unresolved = null) =>
        batch.Count == 1 ? ForApprovers(batch[0], accountAlias, requesterSlackUserId, unresolved) : Batch(batch, accountAlias, requesterSlackUserId, withButtons: true, unresolved);

    public static SlackMessage ForMonitoring(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId) =>
        batch.Count == 1 ? ForMonitoring(batch[0], accountAlias, requesterSlackUserId) : Batch(batch, accountAlias, requesterSlackUserId, withButtons: false, unresolved: null);

    /// <summary>
    /// The message sent when Slack refused the full one: ids, requester, group, account, counts and (for approvers)
    /// the buttons; nothing free-form beyond short, escaped names, so it fits whatever the requests hold.
    /// </summary>
    public static SlackMessage Compact(IReadOnlyList<ChangeRequest> batch, string? accountAlias, bool withButtons, string refusal)
    {
        var lead = batch[0];
        var pending = batch.Where(r => r.Status == RequestStatus.Pending).ToList();
        var blocks = new JsonArray
        {
            Header($"{(pending.Count > 0 ? "🛡️" : "ℹ️")} {(batch.Count == 1 ? lead.Id : $"{batch.Count} changes")} · {AccountPlain(lead, accountAlias)} · {GroupPlain(lead)}"),
            Section(SlackText.Truncate(
                $"*{RequesterWords(lead.Requester, null)}* · {SlackText.Code(lead.GroupId ?? lead.GroupName)} · {SlackText.Code(lead.AccountId)} · {SlackText.Escape(lead.Region)}\n"
                + string.Join("\n", batch.Take(MaxChangesShown).Select(r => $"{StatusEmoji(r.Status)} *{r.Id}* {KindVerb(r.Kind)} {RuleCount(r)} · _{StatusWords(r.Status)}_"))
                + (batch.Count > MaxChangesShown ? $"\n{SlackText.Ellipsis}and {batch.Count - MaxChangesShown} more" : ""),
                SlackLimits.SectionText)),
        };
        if (withButtons)
        {
            foreach (var r in pending.Take(MaxChangesShown))
            {
                blocks.Add(Buttons(r, compact: true));
            }
            if (pending.Count > 1)
            {
                blocks.Add(AllButtons(lead.Id, pending.Count));
            }
        }
        blocks.Add(Context($"Compact view: Slack refused the full message ({SlackText.Escape(SlackText.Plain(refusal, 60))}). Details: `sgbridge requests show {lead.Id}`"));
        return new SlackMessage(TopLevel($"{batch.Count} change(s) by {lead.Requester.DisplayName} on {lead.GroupId ?? lead.GroupName} ({lead.AccountId}, {lead.Region}): {pending.Count} pending"), blocks);
    }

    /// <summary>Said in the monitoring channel when even the compact approvers' message was refused.</summary>
    public static string RefusedNotice(IReadOnlyList<ChangeRequest> batch, string error) =>
        TopLevel($":rotating_light: Slack refused the approvers' message for {string.Join(", ", batch.Take(40).Select(r => r.Id))}"
            + (batch.Count > 40 ? $" and {batch.Count - 40} more" : "")
            + $" ({SlackText.Escape(error)}). The changes are reverted and waiting: decide them with `sgbridge requests show {batch[0].Id}`.", escape: false);

    /// <summary>One thread reply for several outcomes (a batch decided at once), one line each, within the top-level text limit.</summary>
    public static string OutcomeReply(IReadOnlyList<(ChangeRequest Request, RequestStatus Status)> outcomes) =>
        outcomes.Count == 1
            ? OutcomeReply(outcomes[0].Request, outcomes[0].Status)
            : SlackText.Lines(null, outcomes.Select(o => SlackText.Truncate($"*{o.Request.Id}* {OutcomeReply(o.Request, o.Status)}", 600)).ToList(),
                SlackLimits.TopLevelText, $"`sgbridge requests show {outcomes[0].Request.Id}`");

    /// <summary>The thread reply that records one outcome under the monitoring message.</summary>
    public static string OutcomeReply(ChangeRequest r, RequestStatus status) => SlackText.Truncate(status switch
    {
        RequestStatus.Pending when r.Slack is not null => SlackRequestOpenedReply(r),
        RequestStatus.Pending => $":rewind: Reverted at once ({CallSummary.Of(r.Revert)}). Waiting for an approver.",
        RequestStatus.RevertFailed => $":rotating_light: *Revert failed*: {SlackText.Code(r.Revert?.ErrorCode)}. {SlackText.Escape(SlackText.Plain(r.Revert?.Message, 500))} The unapproved change may still be live: check the group now.",
        RequestStatus.Exempt => $":information_source: Exempt, not reverted: {SlackText.Escape(SlackText.Plain(r.ExemptReason, 300))}.",
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)}. Applying in AWS…",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} {When(r.DecidedAt)}. The change stays reverted.",
        RequestStatus.Applied => $":large_green_circle: Applied in AWS ({CallSummary.Of(r.Apply)}).",
        RequestStatus.ApplyFailed => $":x: *Apply failed*: {SlackText.Code(r.Apply?.ErrorCode)}. {SlackText.Escape(SlackText.Plain(r.Apply?.Message, 500))}",
        RequestStatus.Expired => ":hourglass: Expired without a decision. The change stays reverted.",
        RequestStatus.Unmatched => ":grey_question: The event did not match the group: nothing changed in AWS.",
        RequestStatus.Reported => ":mag: Reported by the sweep (report mode): not reverted.",
        _ => $"Status: {StatusWords(r.Status)}",
    }, SlackLimits.TopLevelText);

    /// <summary>One line about a request, for the top-level text (notifications): plain, escaped, short.</summary>
    public static string Summary(ChangeRequest r) =>
        TopLevel($"{r.Id}: {RequesterPlain(r.Requester)} {Intent(r, plain: true)} ({r.AccountId}, {r.Region}) — {StatusWords(r.Status)}");

    private static SlackMessage Single(ChangeRequest r, string? alias, string? slackUser, bool withButtons, UnresolvedRequesterPolicy? unresolved)
    {
        for (var rulesBudget = SlackLimits.SectionText; ; rulesBudget = rulesBudget * 2 / 3)
        {
            var blocks = new JsonArray
            {
                Header($"{StatusEmojiPlain(r.Status)} {r.Id} · {AccountPlain(r, alias)} · {GroupPlain(r)}"),
                Section(SlackText.Truncate($"{RequesterWords(r.Requester, slackUser)} {Intent(r, plain: false)}.\n*Status:* {StatusWords(r.Status)}", SlackLimits.SectionText)),
                Fields(
                    ("Requester", RequesterField(r.Requester, slackUser)),
                    ("Security group", GroupField(r)),
                    ("Account", alias is null ? SlackText.Code(r.AccountId) : $"{SlackText.Escape(SlackText.Plain(alias, 100))} ({SlackText.Code(r.AccountId)})"),
                    ("Region", SlackText.Escape(SlackText.Plain(r.Region, 40))),
                    ("VPC", r.VpcId is null ? "-" : SlackText.Code(SlackText.Plain(r.VpcId, 60))),
                    ("Event", EventField(r))),
                Section(RulesText(r, rulesBudget)),
            };
            var flags = RiskAssessor.Assess(r);
            if (flags.Count > 0)
            {
                blocks.Add(Section(SlackText.Lines(":warning: *Risk*", flags.Select(f => "• " + SlackText.Escape(f)).ToList(), Math.Min(1500, rulesBudget))));
            }
            blocks.Add(Context(BridgeDidText(r)));
            if (PolicyText(r) is { } policy)
            {
                blocks.Add(Context(policy));
            }
            if (withButtons)
            {
                if (UnresolvedText(unresolved) is { } note)
                {
                    blocks.Add(Context(note));
                }
                blocks.Add(Buttons(r, compact: false));
            }
            else if (DecisionText(r) is { } decided)
            {
                blocks.Add(Context(decided));
            }
            if (TextLength(blocks) <= SlackLimits.TotalBlockText || rulesBudget < 200)
            {
                return new SlackMessage(Summary(r), blocks);
            }
        }
    }

    private static SlackMessage Batch(IReadOnlyList<ChangeRequest> batch, string? alias, string? slackUser, bool withButtons, UnresolvedRequesterPolicy? unresolved)
    {
        var lead = batch[0];
        var pending = batch.Count(r => r.Status == RequestStatus.Pending);
        var shown = batch.Take(MaxChangesShown).ToList();
        for (var perChange = Math.Min(SlackLimits.SectionText, (SlackLimits.TotalBlockText - 2500) / shown.Count); ; perChange = perChange * 3 / 4)
        {
            var blocks = new JsonArray
            {
                Header($"{(pending > 0 ? "🛡️" : "✅")} {batch.Count} changes · {AccountPlain(lead, alias)} · {GroupPlain(lead)}"),
                Section(SlackText.Truncate($"{RequesterWords(lead.Requester, slackUser)} made {batch.Count} changes to {GroupWords(lead)}: "
                    + (pending > 0 ? $"*{pending} waiting for approval*" : "all decided") + ".", SlackLimits.SectionText)),
                Fields(
                    ("Requester", RequesterField(lead.Requester, slackUser)),
                    ("Security group", GroupField(lead)),
                    ("Account", alias is null ? SlackText.Code(lead.AccountId) : $"{SlackText.Escape(SlackText.Plain(alias, 100))} ({SlackText.Code(lead.AccountId)})"),
                    ("Region", SlackText.Escape(SlackText.Plain(lead.Region, 40))),
                    ("Batch", SlackText.Code(lead.Id))),
            };
            foreach (var r in shown)
            {
                var flags = RiskAssessor.Assess(r);
                var head = $"{StatusEmoji(r.Status)} *{r.Id}* · {Intent(r, plain: false)} · _{StatusWords(r.Status)}_";
                var lines = RuleLines(r).Concat(flags.Select(f => ":warning: " + SlackText.Escape(f))).Concat(PolicyText(r) is { } p ? [p] : []).ToList();
                blocks.Add(Section(SlackText.Lines(SlackText.Truncate(head, perChange / 2), lines, perChange, $"`sgbridge requests show {r.Id}`")));
                if (withButtons && r.Status == RequestStatus.Pending)
                {
                    blocks.Add(Buttons(r, compact: true));
                }
                else
                {
                    blocks.Add(Context(DecisionText(r) is { } d ? d : BridgeDidText(r)));
                }
            }
            if (batch.Count > shown.Count)
            {
                blocks.Add(Section($"{SlackText.Ellipsis}and {batch.Count - shown.Count} more changes: `sgbridge requests show {lead.Id}`"));
            }
            if (withButtons && pending > 1)
            {
                blocks.Add(AllButtons(lead.Id, pending));
            }
            if (withButtons && pending > 0 && UnresolvedText(unresolved) is { } note)
            {
                blocks.Add(Context(note));
            }
            blocks.Add(Context("Each change was reverted at once by the bridge; approving one puts exactly that change back."));
            if (TextLength(blocks) <= SlackLimits.TotalBlockText || perChange < 120)
            {
                var summary = $"{batch.Count} changes by {RequesterPlain(lead.Requester)} on {lead.GroupName ?? lead.GroupId} ({lead.AccountId}, {lead.Region}): {pending} pending";
                return new SlackMessage(TopLevel(summary), blocks);
            }
        }
    }

    /// <summary>What the approvers' message says when the requester could not be matched to a Slack user.</summary>
    private static string? UnresolvedText(UnresolvedRequesterPolicy? policy) => policy switch
    {
        UnresolvedRequesterPolicy.RequireTwoApprovers => ":warning: The requester could not be matched to a Slack user, so self-approval cannot be ruled out: *two different approvers* have to approve.",
        UnresolvedRequesterPolicy.Block => ":warning: The requester could not be matched to a Slack user, so approving here is *blocked*; denying works.",
        UnresolvedRequesterPolicy.Allow => ":warning: The requester could not be matched to a Slack user: make sure you did not make this change yourself.",
        _ => null,
    };

    /// <summary>The action in words: "wants to open TCP 22 from the internet on *prod-db*".</summary>
    private static string Intent(ChangeRequest r, bool plain)
    {
        var verb = r.Status is RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported ? "" : "wants to ";
        var what = r.Kind switch
        {
            ChangeKind.Add => $"{verb}{(verb.Length == 0 ? "opened" : "open")} {Access(r.Rules.Select(x => x).ToList(), r.Rules.Count)}",
            ChangeKind.Remove => $"{verb}{(verb.Length == 0 ? "removed" : "remove")} {Access(r.Rules.ToList(), r.Rules.Count + r.UnresolvedRuleIds.Count)}",
            _ => $"{verb}{(verb.Length == 0 ? "changed" : "change")} {(r.Edits.Count == 1 ? "a rule to " + RuleWords(r.Edits[0].After) : $"{r.Edits.Count} rules")}",
        };
        if (r.Status == RequestStatus.Reported)
        {
            what = "differs from the approved state: " + what[(what.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        }
        var group = plain ? (r.GroupName ?? r.GroupId ?? "?") : GroupWords(r);
        return plain ? SlackText.Plain($"{what} on {group}", 300) : $"{SlackText.Escape(SlackText.Plain(what, 300))} on {group}";
    }

    private static string Access(IReadOnlyList<SecurityGroupRule> rules, int count) =>
        count == 1 && rules.Count == 1 ? RuleWords(rules[0]) : $"{count} inbound rules";

    /// <summary>"TCP 22 from the internet", "all traffic from sg-0abc (group)", "UDP 53 from prefix list pl-0abc".</summary>
    internal static string RuleWords(SecurityGroupRule rule)
    {
        var from = rule.Source.Kind switch
        {
            SourceKind.Ipv4Cidr when RiskAssessor.IsInternet(rule.Source) => "the internet",
            SourceKind.Ipv6Cidr when RiskAssessor.IsInternet(rule.Source) => "the internet (IPv6)",
            SourceKind.PrefixList => "prefix list " + rule.Source.Value,
            SourceKind.ReferencedGroup => "group " + rule.Source,
            _ => rule.Source.Value,
        };
        return rule.IsAllTraffic ? $"all traffic from {from}" : $"{rule.ProtocolText()} {rule.PortText()} from {from}";
    }

    private static string RulesText(ChangeRequest r, int budget)
    {
        var title = r.Kind switch
        {
            ChangeKind.Modify => "*Rule edits* (before → after)",
            ChangeKind.Add => "*Rules to add*",
            _ => "*Rules to remove*",
        };
        var lines = RuleLines(r);
        return lines.Count == 0 ? title + "\n_none_" : SlackText.Lines(title, lines, budget, $"see them all: `sgbridge requests show {r.Id}`");
    }

    private static List<string> RuleLines(ChangeRequest r) => r.Kind switch
    {
        ChangeKind.Modify => r.Edits.Select(e =>
            $"• {SlackText.Code(e.RuleId)}: {(e.Before is null ? "_previous content unknown_" : RuleText(e.Before))} → *{RuleText(e.After)}*").ToList(),
        ChangeKind.Add => r.Rules.Select(x => "• " + RuleText(x)).ToList(),
        _ => r.Rules.Select(x => "• " + RuleText(x)).Concat(r.UnresolvedRuleIds.Select(id => $"• {SlackText.Code(id)} (_content unknown_)")).ToList(),
    };

    /// <summary>A rule as a line: its access, then its description (free text, escaped and capped).</summary>
    private static string RuleText(SecurityGroupRule rule) =>
        SlackText.Escape(RuleWords(rule) is var w && RiskAssessor.IsInternet(rule.Source) ? $"{w} ({rule.Source.Value})" : w)
        + (string.IsNullOrEmpty(rule.Description) ? "" : " — " + SlackText.Escape(SlackText.Plain(rule.Description, 255)));

    private static string BridgeDidText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Exempt => $"Not reverted: {SlackText.Escape(SlackText.Plain(r.ExemptReason, 300))}",
        RequestStatus.Reverting => "Reverting…",
        RequestStatus.RevertFailed => $":rotating_light: Revert FAILED ({SlackText.Code(SlackText.Plain(r.Revert?.ErrorCode, 80))}): the change may still be live.",
        RequestStatus.Unmatched => "Nothing changed in AWS: the event did not match the group. Monitoring only.",
        RequestStatus.Reported => "Found by the sweep in report mode: reported, not reverted. Monitoring only.",
        _ when r.Slack is not null => SlackRequestDidText(r),
        _ when r.Revert is { } rev => $"Already reverted by the bridge: {CallSummary.Of(rev)}" + (r.PreviousContentUnknown ? " (failed closed: previous content unknown)" : "") + ReasonMessages.Line(r),
        _ => "",
    };

    private static string? DecisionText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)}; applying…",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} {When(r.DecidedAt)}",
        RequestStatus.Applied => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)} · applied ({CallSummary.Of(r.Apply)})",
        RequestStatus.ApplyFailed => $":x: Approved by {Who(r)} {When(r.DecidedAt)} · apply failed: {SlackText.Code(SlackText.Plain(r.Apply?.ErrorCode, 80))} {SlackText.Escape(SlackText.Plain(r.Apply?.Message, 400))}",
        RequestStatus.Expired => ":hourglass: Expired without a decision",
        RequestStatus.Pending => "Waiting for an approver",
        _ => null,
    };

    /// <summary>Readable words for every status.</summary>
    public static string StatusWords(RequestStatus s) => s switch
    {
        RequestStatus.Reverting => "being reverted",
        RequestStatus.Pending => "waiting for approval",
        RequestStatus.RevertFailed => "REVERT FAILED: the change may still be live",
        RequestStatus.Exempt => "exempt, not reverted",
        RequestStatus.Approved => "approved, applying",
        RequestStatus.Denied => "denied, stays reverted",
        RequestStatus.Applied => "approved and applied",
        RequestStatus.ApplyFailed => "approved, but the apply failed",
        RequestStatus.Expired => "expired, stays reverted",
        RequestStatus.Unmatched => "no change in AWS (the event did not match the group)",
        RequestStatus.Reported => "drift reported, not reverted",
        RequestStatus.AccessEnded => "approved for a time; access ended",
        _ => s.ToString().ToLowerInvariant(),
    };

    private static string RequesterWords(Requester q, string? slackUser) =>
        slackUser is not null ? $"<@{slackUser}> ({SlackText.Escape(RequesterPlain(q))})" : $"*{SlackText.Escape(RequesterPlain(q))}*";

    private static string RequesterPlain(Requester q) =>
        q.Type == PrincipalType.Unknown && q.Arn is null ? "unknown (found by the sweep)" : SlackText.Plain(q.DisplayName, 120);

    private static string RequesterField(Requester q, string? slackUser) =>
        $"{RequesterWords(q, slackUser)}\n{SlackText.Code(SlackText.Plain(q.Arn ?? q.PrincipalId ?? "?", 300))}";

    private static string GroupWords(ChangeRequest r) => $"*{SlackText.Escape(SlackText.Plain(r.GroupName ?? r.GroupId ?? "?", 255))}*";

    private static string GroupField(ChangeRequest r)
    {
        var id = r.GroupId is null ? "-" : ConsoleLinks.SecurityGroup(r.Region, r.GroupId) is { } url ? $"<{url}|{SlackText.Escape(r.GroupId)}>" : SlackText.Code(SlackText.Plain(r.GroupId, 60));
        return r.GroupName is null ? id : $"{id}\n{SlackText.Escape(SlackText.Plain(r.GroupName, 255))}";
    }

    private static string EventField(ChangeRequest r)
    {
        if (r.Slack is not null)
        {
            return SlackRequestEventField(r);
        }
        var name = SlackText.Escape(SlackText.Plain(r.EventName, 60));
        var link = ConsoleLinks.CloudTrailEvent(r.Region, r.EventId) is { } url ? $"<{url}|{name}>" : name;
        return $"{link} {When(r.EventTime)}\nfrom {SlackText.Code(SlackText.Plain(r.Requester.SourceIp ?? "?", 60))}";
    }

    private static string AccountPlain(ChangeRequest r, string? alias) => alias is null ? r.AccountId : $"{SlackText.Plain(alias, 40)} ({r.AccountId})";

    private static string GroupPlain(ChangeRequest r) => SlackText.Plain(r.GroupName ?? r.GroupId ?? "?", 60);

    private static string KindVerb(ChangeKind kind) => kind switch
    {
        ChangeKind.Add => "adds",
        ChangeKind.Remove => "removes",
        _ => "modifies",
    };

    private static string RuleCount(ChangeRequest r)
    {
        var n = r.Kind == ChangeKind.Modify ? r.Edits.Count : r.Rules.Count + r.UnresolvedRuleIds.Count;
        return $"{n} rule{(n == 1 ? "" : "s")}";
    }

    private static JsonObject Buttons(ChangeRequest r, bool compact)
    {
        var approve = new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = ActionIds.For(ActionIds.Approve, r.Id),
            ["style"] = "primary",
            ["value"] = r.Id,
            ["text"] = PlainText(compact ? $"Approve {r.Id}" : "Approve", SlackLimits.ButtonText),
        };
        // Approving something that opens risky access asks twice; denying never does (it keeps the change reverted).
        var flags = r.Kind == ChangeKind.Remove ? [] : RiskAssessor.Assess(r);
        if (flags.Count > 0)
        {
            approve["confirm"] = Confirm($"Approve {r.Id}?", $"This opens risky access: {string.Join("; ", flags)}.", "Approve", "primary");
        }
        return new JsonObject
        {
            ["type"] = "actions",
            ["block_id"] = "sgbridge_decision:" + r.Id,
            ["elements"] = new JsonArray
            {
                approve,
                new JsonObject
                {
                    ["type"] = "button",
                    ["action_id"] = ActionIds.For(ActionIds.Deny, r.Id),
                    ["style"] = "danger",
                    ["value"] = r.Id,
                    ["text"] = PlainText(compact ? $"Deny {r.Id}" : "Deny", SlackLimits.ButtonText),
                },
            },
        };
    }

    /// <summary>Whether approving <paramref name="r"/> asks for confirmation (it opens risky access).</summary>
    public static bool ApproveNeedsConfirmation(ChangeRequest r) => r.Kind != ChangeKind.Remove && RiskAssessor.Assess(r).Count > 0;

    private static JsonObject AllButtons(string leadId, int pending) => new()
    {
        ["type"] = "actions",
        ["block_id"] = "sgbridge_batch_decision:" + leadId,
        ["elements"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.For(ActionIds.ApproveAll, leadId),
                ["style"] = "primary",
                ["value"] = leadId,
                ["text"] = PlainText($"Approve all {pending} pending", SlackLimits.ButtonText),
                ["confirm"] = Confirm($"Approve all {pending} pending changes?", "Each one is applied in AWS exactly as requested.", "Approve all", "primary"),
            },
            new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = ActionIds.For(ActionIds.DenyAll, leadId),
                ["style"] = "danger",
                ["value"] = leadId,
                ["text"] = PlainText($"Deny all {pending} pending", SlackLimits.ButtonText),
                ["confirm"] = Confirm($"Deny all {pending} pending changes?", "They stay reverted.", "Deny all", "danger"),
            },
        },
    };

    private static JsonObject Confirm(string title, string text, string confirm, string style) => new()
    {
        ["title"] = PlainText(title, SlackLimits.ConfirmTitle),
        ["text"] = PlainText(text, 200),
        ["confirm"] = PlainText(confirm, SlackLimits.ConfirmButton),
        ["deny"] = PlainText("Cancel", SlackLimits.ConfirmButton),
        ["style"] = style,
    };

    private static JsonObject Header(string text) => new() { ["type"] = "header", ["text"] = PlainText(text, SlackLimits.HeaderText) };

    private static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Mrkdwn(SlackText.Truncate(mrkdwn, SlackLimits.SectionText)) };

    private static JsonObject Context(string mrkdwn) => new()
    {
        ["type"] = "context",
        ["elements"] = new JsonArray { Mrkdwn(mrkdwn.Length == 0 ? " " : SlackText.Truncate(mrkdwn, SlackLimits.SectionText)) },
    };

    private static JsonObject Fields(params (string Label, string Value)[] fields)
    {
        var array = new JsonArray();
        foreach (var (label, value) in fields.Take(SlackLimits.Fields))
        {
            array.Add(Mrkdwn(SlackText.Truncate($"*{label}*\n{value}", 600)));
        }
        return new JsonObject { ["type"] = "section", ["fields"] = array };
    }

    private static JsonObject PlainText(string text, int max) => new() { ["type"] = "plain_text", ["text"] = SlackText.Plain(text, max), ["emoji"] = true };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static string StatusEmoji(RequestStatus s) => s switch
    {
        RequestStatus.Pending => ":shield:",
        RequestStatus.Approved or RequestStatus.Applied => ":white_check_mark:",
        RequestStatus.Denied => ":no_entry:",
        RequestStatus.ApplyFailed or RequestStatus.RevertFailed => ":x:",
        RequestStatus.Exempt => ":information_source:",
        RequestStatus.Unmatched => ":grey_question:",
        RequestStatus.Reported => ":mag:",
        _ => ":hourglass:",
    };

    private static string StatusEmojiPlain(RequestStatus s) => s switch
    {
        RequestStatus.Pending => "🛡️",
        RequestStatus.Approved or RequestStatus.Applied => "✅",
        RequestStatus.Denied => "⛔",
        RequestStatus.ApplyFailed or RequestStatus.RevertFailed => "❌",
        RequestStatus.Exempt => "ℹ️",
        RequestStatus.Unmatched => "❔",
        RequestStatus.Reported => "🔍",
        _ => "⏳",
    };

    private static string Who(ChangeRequest r) => r.DecidedBy is null ? "?" : Mention(r.DecidedBy);

    /// <summary>A mention of a Slack user id as Slack sends them (U…/W…); anything else is shown escaped, never as a token.</summary>
    public static string Mention(string userId) => SlackUserIdPattern().IsMatch(userId) ? $"<@{userId}>" : SlackText.Escape(userId);

    /// <summary>A time as Slack's date token (shown in the reader's time zone), with a UTC fallback.</summary>
    public static string When(DateTimeOffset? t) =>
        t is { } v
            ? $"<!date^{v.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}^{{date_short_pretty}} {{time}}|{v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}>"
            : "?";

    /// <summary>Top-level text: Slack parses it for mentions too, so it is escaped (unless already mrkdwn) and capped.</summary>
    private static string TopLevel(string text, bool escape = true) =>
        escape ? SlackText.Truncate(SlackText.Escape(text), SlackLimits.TopLevelText) : SlackText.Truncate(text, SlackLimits.TopLevelText);

    /// <summary>All text in the blocks, as <see cref="SlackLimits.TotalBlockText"/> counts it.</summary>
    internal static int TextLength(JsonNode? node) => node switch
    {
        JsonObject o => o.Sum(p => p.Key == "text" && p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : TextLength(p.Value)),
        JsonArray a => a.Sum(TextLength),
        _ => 0,
    };

    [GeneratedRegex("^[UW][A-Z0-9]{1,30}$")]
    private static partial Regex SlackUserIdPattern();
}
