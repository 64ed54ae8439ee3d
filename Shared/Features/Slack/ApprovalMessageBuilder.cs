using System.Globalization;
using System.Text.Json.Nodes;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>A Slack message: fallback text (notifications, screen readers) and Block Kit blocks.</summary>
public sealed record SlackMessage(string Text, JsonArray Blocks)
{
    /// <summary>What a request message was built from: every addition (blast radius, duration choices) renders it again, whole, within the limits.</summary>
    internal RequestView? View { get; init; }
}

/// <summary>A request message's inputs. Durations null: the plain Approve; Refusal set: the compact form (empty: too large).</summary>
internal sealed record RequestView(IReadOnlyList<ChangeRequest> Batch, string? Alias, string? SlackUser, UnresolvedRequesterPolicy? Unresolved, bool Approvers)
{
    public BlastRadius? Radius { get; init; }

    public IReadOnlyList<ApprovalDuration>? Durations { get; init; }

    public string? Refusal { get; init; }
}

/// <summary>
/// The only place Block Kit JSON is built: outside text goes through <see cref="SlackText"/>, blocks stay within
/// <see cref="SlackLimits"/>, and a request message is fitted on its final payload, so Slack never refuses it for its size.
/// </summary>
public static partial class ApprovalMessageBuilder
{
    /// <summary>The most changes a batch message shows one by one (each takes a section and its controls); the rest are counted.</summary>
    internal const int MaxChangesShown = (SlackLimits.BlocksPerMessage - 10) / 2;

    /// <summary>
    /// The approvers' message: each change with its risk flags and, while pending, its own choices (a batch adds Approve
    /// all / Deny all while some are pending).
    /// </summary>
    public static SlackMessage ForApprovers(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId, UnresolvedRequesterPolicy? unresolved = null) =>
        Render(new RequestView(batch, accountAlias, requesterSlackUserId, unresolved, Approvers: true));

    /// <summary>The monitoring channel's message: the same changes, never with buttons, always with their status.</summary>
    public static SlackMessage ForMonitoring(IReadOnlyList<ChangeRequest> batch, string? accountAlias, string? requesterSlackUserId) =>
        Render(new RequestView(batch, accountAlias, requesterSlackUserId, null, Approvers: false));

    /// <summary>The message sent when Slack refused the full one: ids, statuses and the same choices; nothing free-form.</summary>
    public static SlackMessage Compact(IReadOnlyList<ChangeRequest> batch, string? accountAlias, bool withButtons, string refusal) =>
        Render(new RequestView(batch, accountAlias, null, null, withButtons) { Refusal = refusal ?? "" });

    /// <summary>Said in monitoring when even the compact approvers' message was refused: how to decide the changes without it.</summary>
    public static string RefusedNotice(IReadOnlyList<ChangeRequest> batch, string error)
    {
        var pending = batch.Where(r => r.Status == RequestStatus.Pending).Select(r => r.Id).ToList();
        var ids = pending.Count > 0 ? pending : batch.Select(r => r.Id).ToList();
        return TopLevel($":rotating_light: Slack refused the approvers' message for {string.Join(", ", ids.Take(40))}"
            + (ids.Count > 40 ? $" and {ids.Count - 40} more" : "")
            + $" ({SlackText.Escape(SlackText.Plain(error, 80))}). The changes are reverted and waiting. An approver decides each with "
            + $"`sgbridge requests approve {ids[0]} --for DURATION --reason \"…\"` (without `--for`: permanently) or `sgbridge requests deny {ids[0]} --reason \"…\"`; "
            + $"`sgbridge requests show {ids[0]}` shows it in full.", escape: false);
    }

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
        RequestStatus.Pending when r.ExtendsRequestId is not null => $":hourglass_flowing_sand: {ExtensionWords(r)}. Waiting for an approver.",
        RequestStatus.Pending => $":rewind: Reverted at once ({CallSummary.Of(r.Revert)}). Waiting for an approver.",
        RequestStatus.RevertFailed => $":rotating_light: *Revert failed*: {SlackText.Code(SlackText.Plain(r.Revert?.ErrorCode, 80))}. {SlackText.Quote(r.Revert?.Message, 500)} The unapproved change may still be live: check the group now.",
        RequestStatus.Exempt => $":information_source: Exempt, not reverted: {SlackText.Quote(r.ExemptReason, 300)}.",
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)}. Applying in AWS…{ReasonWords(r)}",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} {When(r.DecidedAt)}. The change stays reverted.{ReasonWords(r)}",
        RequestStatus.Applied => $":large_green_circle: Applied in AWS ({CallSummary.Of(r.Apply)}){GrantWords(r)}.",
        RequestStatus.ApplyFailed => $":x: *Apply failed*: {SlackText.Code(SlackText.Plain(r.Apply?.ErrorCode, 80))}. {SlackText.Quote(r.Apply?.Message, 500)}",
        RequestStatus.Expired => ":hourglass: Expired without a decision. The change stays reverted.",
        RequestStatus.Unmatched => ":grey_question: The event did not match the group: nothing changed in AWS.",
        RequestStatus.Reported => ":mag: Reported by the sweep (report mode): not reverted.",
        RequestStatus.AccessEnded => AccessEndedText(r),
        _ => $"Status: {StatusWords(r.Status)}",
    }, SlackLimits.TopLevelText);

    /// <summary>One line about a request, for the top-level text (notifications): plain, escaped, short, risk first.</summary>
    public static string Summary(ChangeRequest r) =>
        TopLevel($"{(IsRisky(r) && r.Status == RequestStatus.Pending ? "RISKY: " : "")}{r.Id}: {RequesterPlain(r.Requester)} {Intent(r, plain: true)} ({r.AccountId}, {r.Region}) — {StatusWords(r.Status)}");

    /// <summary>Renders a request message from its inputs, fitted on the final payload (blocks and total text).</summary>
    internal static SlackMessage Render(RequestView v)
    {
        ArgumentOutOfRangeException.ThrowIfZero(v.Batch.Count);
        if (v.Refusal is null)
        {
            var full = v.Batch.Count == 1 ? Single(v) : Batch(v);
            if (full is not null)
            {
                return full with { View = v };
            }
        }
        return Compacted(v with { Refusal = v.Refusal ?? "" }) with { View = v };
    }

    private static bool Fits(JsonArray blocks) =>
        blocks.Count <= SlackLimits.BlocksPerMessage && TextLength(blocks) <= SlackLimits.TotalBlockText;

    /// <summary>The single-request message, or null when not even its smallest form fits.</summary>
    private static SlackMessage? Single(RequestView v)
    {
        var r = v.Batch[0];
        var controls = v.Approvers && r.Status == RequestStatus.Pending;
        var flags = Flags(r);
        var ruleLines = RuleLines(r);
        var intro = SlackText.Truncate($"{RequesterWords(r.Requester, v.SlackUser)} {Intent(r, plain: false)}.\n*Status:* {StatusLine(r)}", SlackLimits.SectionText);
        var fullControls = controls ? Controls(r, v.Durations, compact: false, shortConfirm: false) : null;
        var shortControls = controls ? Controls(r, v.Durations, compact: false, shortConfirm: true) : null;
        for (var rulesBudget = SlackLimits.SectionText; rulesBudget >= 150; rulesBudget = rulesBudget / 2)
        {
            var blocks = new JsonArray
            {
                Header(HeaderText(r, $"{r.Id} · {AccountPlain(r, v.Alias)} · {GroupPlain(r)}")),
                Section(intro),
                Fields([
                    .. WhoAndWhere(r, v),
                    ("VPC", r.VpcId is null ? "-" : SlackText.Code(SlackText.Plain(r.VpcId, 60))),
                    ("Event", EventField(r))]),
                Section(RulesText(r, ruleLines, rulesBudget)),
            };
            if (flags.Count > 0)
            {
                blocks.Add(Section(SlackText.Lines(":warning: *Risk*", flags.Select(f => "• " + SlackText.Escape(f)).ToList(), Math.Min(1500, rulesBudget))));
            }
            blocks.Add(Context(BridgeDidText(r)));
            if (PolicyText(r) is { } policy)
            {
                blocks.Add(Context(policy));
            }
            if (controls)
            {
                if (UnresolvedText(v.Unresolved) is { } note)
                {
                    blocks.Add(Context(note));
                }
                blocks.Add((rulesBudget < 1000 ? shortControls : fullControls)!.DeepClone());
            }
            else if (DecisionText(r) is { } decided)
            {
                blocks.Add(Context(decided));
            }
            AddAccess(blocks, v, compact: false);
            AddBlastRadius(blocks, v, before: null);
            if (Fits(blocks))
            {
                return new SlackMessage(Summary(r), blocks);
            }
        }
        return null;
    }

    /// <summary>The batch message, or null when not even one change with the shortest rule lists fits.</summary>
    private static SlackMessage? Batch(RequestView v)
    {
        var batch = v.Batch;
        var lead = batch[0];
        var pending = batch.Where(r => r.Status == RequestStatus.Pending).ToList();
        var risky = pending.Count(IsRisky);
        var shownCount = Math.Min(batch.Count, MaxChangesShown);
        var perChange = Math.Min(SlackLimits.SectionText, (SlackLimits.TotalBlockText - 2500) / shownCount);
        var rows = batch.Take(shownCount).Select(r => (Request: r, Riskiest: r.Status == RequestStatus.Pending ? Riskiest(r) : null)).Select(x => (
            Request: x.Request,
            Head: $"{StatusEmoji(x.Request)} *{x.Request.Id}* · {Intent(x.Request, plain: false, withGroup: false)} · _{StatusLine(x.Request)}_",
            Lines: RuleLines(x.Request).Concat(Flags(x.Request).Where(f => f != x.Riskiest).Select(f => ":warning: " + SlackText.Escape(f))).Concat(PolicyText(x.Request) is { } p ? [p] : []).ToList(),
            Full: v.Approvers && x.Request.Status == RequestStatus.Pending ? Controls(x.Request, v.Durations, compact: true, shortConfirm: false) : Context(DecisionText(x.Request) is { } d ? d : BridgeDidText(x.Request)),
            Short: v.Approvers && x.Request.Status == RequestStatus.Pending ? Controls(x.Request, v.Durations, compact: true, shortConfirm: true) : null)).ToList();
        var allControls = v.Approvers && pending.Count > 1 ? AllControls(lead.Id, pending, v.Durations) : null;
        var riskiest = risky > 0 ? Riskiest(pending.First(IsRisky)) : null;
        while (shownCount >= 1)
        {
            var shown = batch.Take(shownCount).ToList();
            var blocks = new JsonArray
            {
                Header($"{(risky > 0 ? "🚨" : pending.Count > 0 ? "🛡️" : "✅")} {batch.Count} changes{(risky > 0 ? $" ({risky} risky)" : "")} · {AccountPlain(lead, v.Alias)} · {GroupPlain(lead)}"),
                Section(SlackText.Truncate($"{RequesterWords(lead.Requester, v.SlackUser)} made {batch.Count} changes to this group: "
                    + (pending.Count > 0 ? $"*{pending.Count} waiting for approval*" : "all decided")
                    + (riskiest is { } worst ? $". :warning: Riskiest: {SlackText.Escape(worst)}" : "") + ".", SlackLimits.SectionText)),
                Fields([.. WhoAndWhere(lead, v), ("Batch", SlackText.Code(lead.Id))]),
            };
            var radiusAt = blocks.Count;
            foreach (var row in rows.Take(shownCount))
            {
                var max = Math.Min(perChange + 150, SlackLimits.SectionText);
                blocks.Add(Section(SlackText.Lines(SlackText.Truncate(row.Head, max - 70), row.Lines, max, $"`sgbridge requests show {row.Request.Id}`")));
                blocks.Add((perChange < 600 && row.Short is not null ? row.Short : row.Full).DeepClone());
            }
            if (batch.Count > shown.Count)
            {
                var rest = batch.Skip(shown.Count).ToList();
                blocks.Add(Section(SlackText.Truncate($"{SlackText.Ellipsis}and {rest.Count} more changes"
                    + (rest.Any(r => r.Status == RequestStatus.Pending) ? $" ({rest.Count(r => r.Status == RequestStatus.Pending)} pending: decide them with the batch's choices below)" : "")
                    + $": {string.Join(", ", rest.Take(30).Select(r => r.Id))} · `sgbridge requests show {lead.Id}`", SlackLimits.SectionText)));
            }
            if (allControls is not null)
            {
                blocks.Add(allControls.DeepClone());
                if (AllNote(pending, v.Durations) is { } note)
                {
                    blocks.Add(Context(note));
                }
            }
            if (v.Approvers && pending.Count > 0 && UnresolvedText(v.Unresolved) is { } unresolved)
            {
                blocks.Add(Context(unresolved));
            }
            AddAccess(blocks, v, compact: true);
            blocks.Add(Context(pending.Any(r => r.Slack is not null || r.ExtendsRequestId is not null)
                ? "Changes asked for in Slack or extensions change nothing in AWS until approved; every other change was reverted at once."
                : "Each change was reverted at once by the bridge; approving one puts exactly that change back."));
            AddBlastRadius(blocks, v, before: radiusAt);
            if (Fits(blocks))
            {
                var summary = $"{(risky > 0 ? $"RISKY ({risky}): " : "")}{batch.Count} changes by {RequesterPlain(lead.Requester)} on {lead.GroupName ?? lead.GroupId} ({lead.AccountId}, {lead.Region}): {pending.Count} pending";
                return new SlackMessage(TopLevel(summary), blocks);
            }
            if (blocks.Count > SlackLimits.BlocksPerMessage)
            {
                shownCount -= Math.Max(1, (blocks.Count - SlackLimits.BlocksPerMessage + 1) / 2);
            }
            else if (perChange > 100)
            {
                perChange = Math.Max(100, perChange / 2);
            }
            else
            {
                shownCount = shownCount * 3 / 4;
            }
        }
        return null;
    }

    /// <summary>The compact form: ids and statuses, the same choices for as many pending changes as fit, Approve all / Deny all.</summary>
    private static SlackMessage Compacted(RequestView v)
    {
        var batch = v.Batch;
        var lead = batch[0];
        var pending = batch.Where(r => r.Status == RequestStatus.Pending).ToList();
        var risky = pending.Count(IsRisky);
        var controls = v.Approvers ? pending.Take(MaxChangesShown).Select(r => Controls(r, v.Durations, compact: true, shortConfirm: true)).ToList() : [];
        var allControls = v.Approvers && pending.Count > 1 ? AllControls(lead.Id, pending, v.Durations) : null;
        var list = string.Join("\n", batch.Take(MaxChangesShown).Select(r =>
            $"{StatusEmoji(r)} *{r.Id}* {KindVerb(r)} {RuleCount(r)}{(IsRisky(r) ? " :warning: risky" : "")} · _{StatusLine(r)}_"));
        for (var withControls = Math.Min(pending.Count, MaxChangesShown); ; withControls = withControls * 2 / 3)
        {
            var blocks = new JsonArray
            {
                Header($"{(risky > 0 ? "🚨" : pending.Count > 0 ? "🛡️" : "ℹ️")} {(batch.Count == 1 ? lead.Id : $"{batch.Count} changes")} · {AccountPlain(lead, v.Alias)} · {GroupPlain(lead)}"),
                Section(SlackText.Truncate(
                    $"{RequesterWords(lead.Requester, null)} · {SlackText.Code(lead.GroupId ?? lead.GroupName)} · {SlackText.Code(lead.AccountId)} · {SlackText.Code(lead.Region)}\n"
                    + list
                    + (batch.Count > MaxChangesShown ? $"\n{SlackText.Ellipsis}and {batch.Count - MaxChangesShown} more" : ""),
                    SlackLimits.SectionText)),
            };
            if (v.Approvers)
            {
                foreach (var c in controls.Take(withControls))
                {
                    blocks.Add(c.DeepClone());
                }
                if (allControls is not null)
                {
                    blocks.Add(allControls.DeepClone());
                }
                if (pending.Count > withControls && pending.Count > 1)
                {
                    blocks.Add(Context($"{pending.Count - withControls} pending change(s) have no choice of their own here: decide them with Approve all / Deny all, or one by one with `sgbridge requests approve|deny ID`."));
                }
            }
            AddAccess(blocks, v, compact: true);
            blocks.Add(Context(v.Refusal is { Length: > 0 } refusal
                ? $"Compact view: Slack refused the full message ({SlackText.Escape(SlackText.Plain(refusal, 60))}). Details: `sgbridge requests show {lead.Id}`"
                : $"Compact view: the full message is too large for Slack. Details: `sgbridge requests show {lead.Id}`"));
            if (Fits(blocks) || withControls == 0)
            {
                return new SlackMessage(TopLevel($"{(risky > 0 ? "RISKY: " : "")}{batch.Count} change(s) by {RequesterPlain(lead.Requester)} on {lead.GroupId ?? lead.GroupName} ({lead.AccountId}, {lead.Region}): {pending.Count} pending"), blocks);
            }
        }
    }

    /// <summary>Longest policy reason shown; the whole of it is on the request (`sgbridge requests show`).</summary>
    internal const int PolicyReasonShown = 600;

    /// <summary>The policy file's decision as a context line ("Policy approved for 24h: rule `dev-private` …"); null when none.</summary>
    internal static string? PolicyText(ChangeRequest r)
    {
        if (r.PolicyDecision is not { } d)
        {
            return null;
        }
        var verb = d.Outcome switch
        {
            "approve" => "approved",
            "deny" => "denied",
            _ => "asks an approver",
        };
        var rule = d.Rule is null
            ? "no rule matched"
            : $"rule {SlackText.Code(SlackText.Plain(d.Rule, 64))} ({SlackText.Escape(SlackText.Plain(d.Source, 80))} line {d.Line?.ToString(CultureInfo.InvariantCulture) ?? "?"})";
        var duration = d.Outcome == "approve" ? d.Duration is { } t ? $" for {ApprovalDuration.Format(t)}" : " permanently" : "";
        return SlackText.Truncate($":scroll: *Policy* {verb}{duration}: {rule}. {SlackText.Escape(SlackText.Plain(d.Reason, PolicyReasonShown))}", SlackLimits.SectionText);
    }

    /// <summary>What the approvers' message says when the requester could not be matched to a Slack user.</summary>
    private static string? UnresolvedText(UnresolvedRequesterPolicy? policy) => policy switch
    {
        UnresolvedRequesterPolicy.RequireTwoApprovers => ":warning: The requester could not be matched to a Slack user, so self-approval cannot be ruled out: *two different approvers* have to approve.",
        UnresolvedRequesterPolicy.Block => ":warning: The requester could not be matched to a Slack user, so approving here is *blocked*; denying works.",
        UnresolvedRequesterPolicy.Allow => ":warning: The requester could not be matched to a Slack user: make sure you did not make this change yourself.",
        _ => null,
    };

    /// <summary>The action in words, risk first: "wants to open 2 inbound rules on *prod-db* — :warning: SSH (22) open to …".</summary>
    private static string Intent(ChangeRequest r, bool plain, bool withGroup = true)
    {
        var done = r.Status is RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported;
        var what = r.Kind switch
        {
            ChangeKind.Add => $"{(done ? "opened" : "wants to open")} {Access(r.Rules, r.Rules.Count)}",
            ChangeKind.Remove => $"{(done ? "removed" : "wants to remove")} {Access(r.Rules, r.Rules.Count + r.UnresolvedRuleIds.Count)}",
            _ => $"{(done ? "changed" : "wants to change")} {(r.Edits.Count == 1 ? "a rule to " + RuleWords(r.Edits[0].After) : $"{r.Edits.Count} rules")}",
        };
        if (r.Status == RequestStatus.Reported)
        {
            what = "differs from the approved state: " + what[(what.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        }
        if (r.ExtendsRequestId is not null && r.Status == RequestStatus.Pending)
        {
            what = $"wants more time for {Access(r.Rules, r.Rules.Count)} (extends {r.ExtendsRequestId})";
        }
        var risk = r.Status == RequestStatus.Pending && Riskiest(r) is { } worst ? worst : null;
        var group = !withGroup ? "" : " on " + (plain ? (r.GroupName ?? r.GroupId ?? "?") : GroupWords(r));
        return plain
            ? SlackText.Plain($"{what}{group}{(risk is null ? "" : " — risky: " + risk)}", 400)
            : $"{SlackText.Escape(SlackText.Plain(what, 300))}{group}{(risk is null ? "" : " — :warning: *" + SlackText.Escape(SlackText.Plain(risk, 200)) + "*")}";
    }

    /// <summary>The access a request is about, as a noun phrase ("TCP 22 from the internet on *prod-db*"), for past-tense notices.</summary>
    private static string AccessPhrase(ChangeRequest r) =>
        $"{SlackText.Escape(SlackText.Plain(Access(Granted(r), RuleTotal(r)), 300))} on {GroupWords(r)}";

    private static string Access(IReadOnlyList<SecurityGroupRule> rules, int count)
    {
        if (count == 1 && rules.Count == 1)
        {
            return RuleWords(rules[0]);
        }
        var outbound = rules.Count(x => x.Egress);
        return outbound == 0 ? $"{count} inbound rules"
            : outbound == count ? $"{count} outbound rules"
            : $"{count} rules ({count - outbound} inbound, {outbound} outbound)";
    }

    /// <summary>"TCP 22 from the internet", "outbound all traffic to the internet", "UDP 53 from prefix list pl-0abc".</summary>
    internal static string RuleWords(SecurityGroupRule rule)
    {
        var peer = rule.Source.Kind switch
        {
            SourceKind.Ipv4Cidr when RiskAssessor.IsInternet(rule.Source) => "the internet",
            SourceKind.Ipv6Cidr when RiskAssessor.IsInternet(rule.Source) => "the internet (IPv6)",
            SourceKind.PrefixList => "prefix list " + rule.Source.Value,
            SourceKind.ReferencedGroup => "group " + rule.Source,
            _ => rule.Source.Value,
        };
        var way = rule.Egress ? "to" : "from";
        var what = rule.IsAllTraffic ? "all traffic" : $"{rule.ProtocolText()} {rule.PortText()}";
        return $"{(rule.Egress ? "outbound " : "")}{what} {way} {peer}";
    }

    private static string RulesText(ChangeRequest r, List<string> lines, int budget)
    {
        var outbound = Granted(r).Any(x => x.Egress);
        var title = r.Kind switch
        {
            ChangeKind.Modify => "*Rule edits* (before → after)",
            ChangeKind.Add => outbound ? "*Rules to add* (inbound and outbound as marked)" : "*Rules to add*",
            _ => "*Rules to remove*",
        };
        return lines.Count == 0 ? title + "\n_none_" : SlackText.Lines(title, lines, budget, $"see them all: `sgbridge requests show {r.Id}`");
    }

    private static List<string> RuleLines(ChangeRequest r) => r.Kind switch
    {
        ChangeKind.Modify => r.Edits.Select(e =>
            $"• {SlackText.Code(e.RuleId)}: {(e.Before is null ? "_previous content unknown_" : RuleText(e.Before))} → *{RuleText(e.After)}*").ToList(),
        ChangeKind.Add => r.Rules.Select(x => "• " + RuleText(x)).ToList(),
        _ => r.Rules.Select(x => "• " + RuleText(x)).Concat(r.UnresolvedRuleIds.Select(id => $"• {SlackText.Code(id)} (_content unknown_)")).ToList(),
    };

    /// <summary>A rule as a line: its access, then its description (free text, quoted on one line and capped).</summary>
    private static string RuleText(SecurityGroupRule rule) =>
        SlackText.Escape(RuleWords(rule) is var w && RiskAssessor.IsInternet(rule.Source) ? $"{w} ({rule.Source.Value})" : w)
        + (string.IsNullOrEmpty(rule.Description) ? "" : " — " + SlackText.Quote(rule.Description, 255));

    private static string SlackRequestDidText(ChangeRequest r) =>
        $":inbox_tray: Asked for in Slack by {Mention(r.Slack!.UserId)} {SlackRequestDuration(r.Slack)}: nothing changes in AWS until it is approved.\n"
        + $"*Reason:* {SlackText.Quote(r.Slack.Reason, ChangeRequest.MaxReasonLength)}";

    private static string SlackRequestOpenedReply(ChangeRequest r) =>
        $":inbox_tray: Asked for in Slack by {Mention(r.Slack!.UserId)} {SlackRequestDuration(r.Slack)}. Waiting for an approver.";

    private static string SlackRequestDuration(SlackOrigin origin) =>
        origin.RequestedFor is { } d ? $"for {RequestModal.Label(d)}" : "permanently";

    private static string BridgeDidText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Exempt => $"Not reverted: {SlackText.Quote(r.ExemptReason, 300)}",
        RequestStatus.Reverting => "Reverting…",
        RequestStatus.RevertFailed => $":rotating_light: Revert FAILED ({SlackText.Code(SlackText.Plain(r.Revert?.ErrorCode, 80))}): the change may still be live.",
        RequestStatus.Unmatched => "Nothing changed in AWS: the event did not match the group. Monitoring only.",
        RequestStatus.Reported => "Found by the sweep in report mode: reported, not reverted. Monitoring only.",
        _ when r.Slack is not null => SlackRequestDidText(r),
        _ when r.ExtendsRequestId is not null => ExtensionDidText(r),
        _ when r.Revert is { } rev => $"Already reverted by the bridge: {CallSummary.Of(rev)}" + (r.PreviousContentUnknown ? " (failed closed: previous content unknown)" : "") + ReasonMessages.Line(r),
        _ => "Nothing was reverted.",
    };

    private static string? DecisionText(ChangeRequest r) => r.Status switch
    {
        RequestStatus.Approved => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)}; applying…",
        RequestStatus.Denied => $":no_entry: Denied by {Who(r)} {When(r.DecidedAt)}",
        RequestStatus.Applied => $":white_check_mark: Approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)} · applied ({CallSummary.Of(r.Apply)})",
        RequestStatus.ApplyFailed => $":x: Approved by {Who(r)} {When(r.DecidedAt)}{GrantWords(r)} · apply failed: {SlackText.Code(SlackText.Plain(r.Apply?.ErrorCode, 80))} {SlackText.Quote(r.Apply?.Message, 400)}",
        RequestStatus.Expired => ":hourglass: Expired without a decision",
        RequestStatus.Pending => "Waiting for an approver",
        RequestStatus.AccessEnded => AccessEndedLine(r),
        _ => null,
    };

    /// <summary>" for 8h, until …" for a time-bound approval, " permanently" for a permanent grant, "" for a removal (it takes access away).</summary>
    private static string GrantWords(ChangeRequest r) =>
        r.ApprovedFor is { } d && r.AccessUntil is { } until ? $" for {ApprovalDuration.Format(d)}, until {When(until)}"
        : r.Kind == ChangeKind.Remove || r.DecidedAt is null ? ""
        : " permanently";

    /// <summary>The status line: the words and, for a time-bound approval, its duration and end.</summary>
    private static string StatusLine(ChangeRequest r) =>
        r.Status is RequestStatus.Approved or RequestStatus.Applied && r.AccessUntil is { } until
            ? $"{StatusWords(r.Status)}, for {ApprovalDuration.Format(r.ApprovedFor!.Value)} until {When(until)}"
            : StatusWords(r.Status);

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

    /// <summary>The requester: a mention when known, else the AWS name as code (pasteable, exactly as AWS wrote it).</summary>
    private static string RequesterWords(Requester q, string? slackUser) =>
        slackUser is not null ? $"<@{slackUser}> ({SlackText.Code(RequesterPlain(q))})" : SlackText.Code(RequesterPlain(q));

    private static string RequesterPlain(Requester q) =>
        q.Type == PrincipalType.Unknown && q.Arn is null ? "unknown (found by the sweep)" : SlackText.Plain(q.DisplayName, 120);

    private static string RequesterField(Requester q, string? slackUser) =>
        $"{RequesterWords(q, slackUser)}\n{SlackText.Code(SlackText.Plain(q.Arn ?? q.PrincipalId ?? "?", 300))}";

    /// <summary>The fields every full request message starts with: who, which group, which account and region.</summary>
    private static (string Label, string Value)[] WhoAndWhere(ChangeRequest r, RequestView v) =>
    [
        ("Requester", RequesterField(r.Requester, v.SlackUser)),
        ("Security group", GroupField(r)),
        ("Account", AccountField(r, v.Alias)),
        ("Region", SlackText.Code(SlackText.Plain(r.Region, 40))),
    ];

    private static string GroupWords(ChangeRequest r) => SlackText.Code(SlackText.Plain(r.GroupName ?? r.GroupId ?? "?", 255));

    private static string GroupField(ChangeRequest r)
    {
        var id = r.GroupId is null ? "-" : ConsoleLinks.SecurityGroup(r.Region, r.GroupId) is { } url ? $"<{url}|{SlackText.Escape(r.GroupId)}>" : SlackText.Code(SlackText.Plain(r.GroupId, 60));
        return r.GroupName is null ? id : $"{id}\n{SlackText.Code(SlackText.Plain(r.GroupName, 255))}";
    }

    private static string AccountField(ChangeRequest r, string? alias) =>
        alias is null ? SlackText.Code(r.AccountId) : $"{SlackText.Code(SlackText.Plain(alias, 100))} ({SlackText.Code(r.AccountId)})";

    private static string EventField(ChangeRequest r) =>
        r.Slack is not null ? $"Slack request {When(r.EventTime)}"
        : r.ExtendsRequestId is not null ? $"Extension asked {When(r.EventTime)}"
        : $"{EventLink(r)} {When(r.EventTime)}\nfrom {SlackText.Code(SlackText.Plain(r.Requester.SourceIp ?? "?", 60))}";

    private static string EventLink(ChangeRequest r)
    {
        var name = SlackText.Escape(SlackText.Plain(r.EventName, 60));
        return ConsoleLinks.CloudTrailEvent(r.Region, r.EventId) is { } url ? $"<{url}|{name}>" : name;
    }

    private static string AccountPlain(ChangeRequest r, string? alias) => alias is null ? r.AccountId : $"{SlackText.Plain(alias, 40)} ({r.AccountId})";

    private static string GroupPlain(ChangeRequest r) => SlackText.Plain(r.GroupName ?? r.GroupId ?? "?", 60);

    /// <summary>The header, risk first: a risky pending change gets its own icon and word.</summary>
    private static string HeaderText(ChangeRequest r, string rest) =>
        r.Status == RequestStatus.Pending && IsRisky(r) ? $"🚨 Risky · {rest}" : $"{Emoji(r.Status).Plain} {rest}";

    private static string KindVerb(ChangeRequest r) => r.Kind switch
    {
        _ when r.ExtendsRequestId is not null => "extends",
        ChangeKind.Add => "adds",
        ChangeKind.Remove => "removes",
        _ => "modifies",
    };

    private static string RuleCount(ChangeRequest r)
    {
        var n = RuleTotal(r);
        var outbound = Granted(r).Count(x => x.Egress);
        return $"{n} {(outbound == n && n > 0 ? "outbound " : "")}rule{(n == 1 ? "" : "s")}";
    }

    /// <summary>The rules a request is about: the rules added or removed, or each edit's result.</summary>
    private static IReadOnlyList<SecurityGroupRule> Granted(ChangeRequest r) =>
        r.Kind == ChangeKind.Modify ? r.Edits.Select(e => e.After).ToList() : r.Rules;

    private static int RuleTotal(ChangeRequest r) => r.Kind == ChangeKind.Modify ? r.Edits.Count : r.Rules.Count + r.UnresolvedRuleIds.Count;

    /// <summary>The risk flags of the access a request would grant (none for a removal: it takes access away).</summary>
    private static IReadOnlyList<string> Flags(ChangeRequest r) => r.Kind == ChangeKind.Remove ? [] : RiskAssessor.Assess(r);

    private static bool IsRisky(ChangeRequest r) => Flags(r).Count > 0;

    /// <summary>The riskiest flag: all traffic, then an admin or database port open to the internet, then the rest.</summary>
    private static string? Riskiest(ChangeRequest r) => Flags(r)
        .Select((f, i) => (Flag: f, Rank: f.StartsWith("All traffic", StringComparison.Ordinal) ? 0 : f.Contains("open to the internet", StringComparison.Ordinal) ? 1 : f.StartsWith("Wide", StringComparison.Ordinal) ? 2 : 3, Index: i))
        .OrderBy(x => x.Rank).ThenBy(x => x.Index).Select(x => x.Flag).FirstOrDefault();

    internal static JsonObject Confirm(string title, string text, string confirm, string style) => new()
    {
        ["title"] = PlainText(title, SlackLimits.ConfirmTitle),
        ["text"] = PlainText(text, SlackLimits.ConfirmText),
        ["confirm"] = PlainText(confirm, SlackLimits.ConfirmButton),
        ["deny"] = PlainText("Cancel", SlackLimits.ConfirmButton),
        ["style"] = style,
    };

    internal static JsonObject Header(string text) => new() { ["type"] = "header", ["text"] = PlainText(text, SlackLimits.HeaderText) };

    internal static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Mrkdwn(SlackText.Truncate(mrkdwn, SlackLimits.SectionText)) };

    internal static JsonObject Context(string mrkdwn) => new()
    {
        ["type"] = "context",
        ["elements"] = new JsonArray { Mrkdwn(SlackText.Truncate(mrkdwn.Length == 0 ? "-" : mrkdwn, SlackLimits.SectionText)) },
    };

    private static JsonObject Fields(params (string Label, string Value)[] fields) => new()
    {
        ["type"] = "section",
        ["fields"] = new JsonArray(fields.Take(SlackLimits.Fields)
            .Select(f => (JsonNode)Mrkdwn(SlackText.Truncate($"*{f.Label}*\n{f.Value}", 600))).ToArray()),
    };

    internal static JsonObject PlainText(string text, int max) => new() { ["type"] = "plain_text", ["text"] = SlackText.Plain(text, max), ["emoji"] = true };

    internal static JsonObject Button(string actionId, string value, string text, string? style) =>
        Json(("type", "button"), ("action_id", actionId), ("value", value), ("text", PlainText(text, SlackLimits.ButtonText)), ("style", style));

    internal static JsonObject Actions(string? blockId, params JsonNode[] elements) =>
        Json(("type", "actions"), ("elements", new JsonArray(elements)), ("block_id", blockId));

    /// <summary>A static_select; its placeholder and option texts within their limits (75), at most Slack's 100 options.</summary>
    internal static JsonObject Select(string actionId, string placeholder, IEnumerable<(string Text, string Value)> options) => new()
    {
        ["type"] = "static_select",
        ["action_id"] = actionId,
        ["placeholder"] = PlainText(placeholder, SlackLimits.ButtonText),
        ["options"] = new JsonArray(options.Take(SlackLimits.SelectOptions).Select(o => (JsonNode)Option(o.Text, o.Value)).ToArray()),
    };

    internal static JsonObject Option(string text, string value) => new() { ["text"] = PlainText(text, SlackLimits.OptionText), ["value"] = value };

    /// <summary>A JSON object of the fields that have a value, in order (Slack reads an absent optional field, not a null one).</summary>
    public static JsonObject Json(params (string Name, JsonNode? Value)[] fields) =>
        new(fields.Where(f => f.Value is not null).Select(f => KeyValuePair.Create(f.Name, f.Value)));

    /// <summary>mrkdwn that shows data: <c>verbatim</c>, so Slack does not turn bare URLs or #names in it into links.</summary>
    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text, ["verbatim"] = true };

    /// <summary>A status's icon as mrkdwn (blocks) and as the character itself (plain-text headers).</summary>
    private static (string Mrkdwn, string Plain) Emoji(RequestStatus s) => s switch
    {
        RequestStatus.Pending => (":shield:", "🛡️"),
        RequestStatus.Approved or RequestStatus.Applied => (":white_check_mark:", "✅"),
        RequestStatus.Denied => (":no_entry:", "⛔"),
        RequestStatus.ApplyFailed or RequestStatus.RevertFailed => (":x:", "❌"),
        RequestStatus.Exempt => (":information_source:", "ℹ️"),
        RequestStatus.Unmatched => (":grey_question:", "❔"),
        RequestStatus.Reported => (":mag:", "🔍"),
        RequestStatus.AccessEnded => (":lock:", "🔒"),
        _ => (":hourglass:", "⏳"),
    };

    private static string StatusEmoji(ChangeRequest r) =>
        r.Status == RequestStatus.Pending && IsRisky(r) ? ":rotating_light:" : Emoji(r.Status).Mrkdwn;

    /// <summary>" Reason: “…”" when the decider gave one (the CLI's --reason), else nothing.</summary>
    private static string ReasonWords(ChangeRequest r) => r.DecisionReason is { } reason ? $" Reason: {SlackText.Quote(reason, 300)}" : "";

    private static string Who(ChangeRequest r) => r.DecidedBy is null ? "?" : Mention(r.DecidedBy);

    /// <summary>A mention of a Slack user id as Slack sends them (U…/W…); anything else is shown escaped, never as a token.</summary>
    public static string Mention(string userId) => SlackIds.IsUserId(userId) ? $"<@{userId}>" : SlackText.Escape(userId);

    /// <summary>A time as Slack's date token (shown in the reader's time zone), with a UTC fallback.</summary>
    public static string When(DateTimeOffset? t) =>
        t is { } v
            ? $"<!date^{v.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}^{{date_short_pretty}} {{time}}|{v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}>"
            : "?";

    /// <summary>Top-level text: plain words escaped (<see cref="SlackText.Notification"/>), or the bridge's own mrkdwn, capped.</summary>
    private static string TopLevel(string text, bool escape = true) =>
        escape ? SlackText.Notification(text, SlackLimits.TopLevelText) : SlackText.Truncate(text, SlackLimits.TopLevelText);

    /// <summary>All text in the blocks (every string under a "text" key), as <see cref="SlackLimits.TotalBlockText"/> counts it.</summary>
    public static int TextLength(JsonNode? node) => node switch
    {
        JsonObject o => o.Sum(p => p.Key == "text" && p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : TextLength(p.Value)),
        JsonArray a => a.Sum(TextLength),
        _ => 0,
    };
}
