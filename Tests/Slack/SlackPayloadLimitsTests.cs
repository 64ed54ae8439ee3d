using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>
/// Every kind of payload the bridge sends, over an input matrix that has broken real Slack integrations: 1 to 400 rules,
/// 255-character descriptions full of mrkdwn markers and &lt;!channel&gt;, IPv6, prefix lists and group references,
/// maximal ARNs, batches up to the maximum, every status. Each payload must pass <see cref="SlackPayloadValidator"/>.
/// </summary>
public class SlackPayloadLimitsTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>255 characters (EC2's limit for a rule description) of everything that must be escaped.</summary>
    internal static readonly string NastyDescription = string.Concat(Enumerable.Repeat("<!channel> *b* _i_ ~s~ `c` & <@U1|x> ", 10))[..255];

    /// <summary>The longest ARN IAM allows around a session: a 512-character path, 64-character role and session names.</summary>
    internal static Requester MaximalRequester(int i) => new(
        PrincipalType.AssumedRole,
        $"arn:aws:sts::{TestData.Account}:assumed-role/{new string('r', 64)}/{("s*_~`<!here>" + new string('x', 64))[..64]}",
        TestData.Account, "AROA" + new string('A', 17) + ":" + i,
        null, ("s*_~`<!here>" + new string('x', 64))[..64],
        $"arn:aws:iam::{TestData.Account}:role/{string.Concat(Enumerable.Repeat("path_*~/", 64))}{new string('r', 64)}",
        "2001:db8::1", new string('u', 1000), null);

    internal static IReadOnlyList<SecurityGroupRule> Rules(int count, string? description) =>
        Enumerable.Range(0, count).Select(i => (i % 5) switch
        {
            0 => new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), description, $"sgr-{i:D17}"),
            1 => new SecurityGroupRule("tcp", 0, 65535, RuleSource.Ipv6("::/0"), description, $"sgr-{i:D17}"),
            2 => new SecurityGroupRule("udp", 53, 53, RuleSource.PrefixList($"pl-{i:D17}"), description, $"sgr-{i:D17}"),
            3 => new SecurityGroupRule("-1", null, null, new RuleSource(SourceKind.ReferencedGroup, $"sg-{i:D17}", "222222222222", "vpc-0123456789abcdef0", "pcx-0123456789abcdef0"), description, $"sgr-{i:D17}"),
            _ => new SecurityGroupRule("icmpv6", -1, -1, RuleSource.Ipv6($"2001:db8:{i:x4}::/64"), description, $"sgr-{i:D17}"),
        }).ToList();

    /// <summary>A request with <paramref name="rules"/> rules, taken to <paramref name="status"/>, with long call texts and AWS messages.</summary>
    internal static ChangeRequest Request(int index, ChangeKind kind, int rules, RequestStatus status, Requester requester, string? description = null)
    {
        description ??= NastyDescription;
        var list = Rules(rules, description);
        var change = TestData.Change(kind, eventId: $"{index:D8}-2222-3333-4444-555555555555", requester: requester) with
        {
            GroupName = ("prod_db*~`<!channel>" + new string('g', 255))[..255],
            Rules = kind == ChangeKind.Modify ? [] : list,
            RuleIds = kind == ChangeKind.Remove ? ["sgr-unknown-1", "sgr-unknown-2"] : [],
            Modifications = kind == ChangeKind.Modify ? list.Select(r => new RuleModification(r.RuleId!, r)).ToList() : [],
        };
        var id = RequestId.For(change.EventId);
        var longCall = $"ec2:RevokeSecurityGroupIngress GroupId={TestData.GroupId} SecurityGroupRuleIds=[{string.Join(", ", list.Select(r => r.RuleId))}]";
        var longMessage = string.Concat(Enumerable.Repeat("AWS said <!channel> & *no* `x`. ", 200));
        if (status is RequestStatus.Exempt)
        {
            return ChangeRequest.RecordExempt(id, change, longMessage, T);
        }
        var r = ChangeRequest.Open(id, change, T);
        r.RecordFound(TestData.GroupId, change.GroupName, "vpc-0123456789abcdef0", change.Rules, change.RuleIds,
            change.Modifications.Select(m => new RuleEdit(m.RuleId, m.After with { Description = "before " + description }, m.After)).ToList(), previousContentUnknown: index % 2 == 0, T);
        if (status == RequestStatus.Reverting)
        {
            return r;
        }
        if (status == RequestStatus.RevertFailed)
        {
            r.MarkRevertFailed(new CallOutcome(longCall, false, "Client.InvalidPermission.NotFound<!here>", longMessage) { Notes = [longMessage] }, T);
            return r;
        }
        r.MarkReverted(new CallOutcome(longCall, true) { Notes = [longMessage] }, T);
        switch (status)
        {
            case RequestStatus.Approved:
                r.Approve("U0APPROVER", "approver", T);
                break;
            case RequestStatus.Denied:
                r.Deny("U0APPROVER", "approver", T);
                break;
            case RequestStatus.Applied:
                r.Approve("U0APPROVER", "approver", T);
                r.MarkApplied(new CallOutcome(longCall.Replace("Revoke", "Authorize", StringComparison.Ordinal), true), T);
                break;
            case RequestStatus.ApplyFailed:
                r.Approve("U0APPROVER", "approver", T);
                r.MarkApplyFailed(new CallOutcome(longCall, false, "RulesPerSecurityGroupLimitExceeded", longMessage), T);
                break;
            case RequestStatus.Expired:
                r.Expire(T);
                break;
        }
        return r;
    }

    /// <summary>Statuses a request can be rendered in (Unmatched and Reported come from the lead's reconcile code; rendered from Pending-shaped data here).</summary>
    private static readonly RequestStatus[] Statuses =
        [RequestStatus.Pending, RequestStatus.RevertFailed, RequestStatus.Exempt, RequestStatus.Approved, RequestStatus.Denied,
         RequestStatus.Applied, RequestStatus.ApplyFailed, RequestStatus.Expired];

    private static readonly ChangeKind[] Kinds = [ChangeKind.Add, ChangeKind.Remove, ChangeKind.Modify];

    private static void AssertValid(string kind, string text, JsonArray? blocks)
    {
        var errors = SlackPayloadValidator.Check(text, blocks);
        Assert.True(errors.Count == 0, $"{kind}: {string.Join("; ", errors)}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(60)]
    [InlineData(400)]
    public void SingleRequestPayloads_StayWithinEveryLimit(int rules)
    {
        var i = 0;
        foreach (var kind in Kinds)
        {
            foreach (var status in Statuses)
            {
                foreach (var requester in new[] { TestData.SsoUser(new string('a', 60) + "*_~`@example.com"), MaximalRequester(i) })
                {
                    var r = Request(i++, kind, rules, status, requester);
                    var label = $"{kind}/{status}/{rules}";
                    var approvers = ApprovalMessageBuilder.ForApprovers([r], "prod*_~`<!channel>" + new string('a', 300), "U0REQUESTER");
                    AssertValid("approvers " + label, approvers.Text, approvers.Blocks);
                    var monitoring = ApprovalMessageBuilder.ForMonitoring([r], null, null);
                    AssertValid("monitoring " + label, monitoring.Text, monitoring.Blocks);
                    var compact = ApprovalMessageBuilder.Compact([r], "prod", withButtons: true, "invalid_blocks");
                    AssertValid("compact " + label, compact.Text, compact.Blocks);
                    AssertValid("thread reply " + label, ApprovalMessageBuilder.OutcomeReply(r, r.Status), null);
                    AssertValid("ephemeral already decided " + label, DecisionReplies.AlreadyDecided(r), null);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 10)]
    [InlineData(20, 60)]
    [InlineData(20, 400)]
    [InlineData(30, 10)]
    public void BatchPayloads_StayWithinEveryLimit(int batchSize, int rules)
    {
        var requester = MaximalRequester(0);
        var batch = Enumerable.Range(0, batchSize).Select(i => Request(i, Kinds[i % 3], rules, Statuses[i % Statuses.Length] is RequestStatus.Exempt or RequestStatus.RevertFailed ? RequestStatus.Pending : Statuses[i % Statuses.Length], requester)).ToList();
        var pending = batch.Select((r, i) => Request(i, r.Kind, rules, RequestStatus.Pending, requester)).ToList();
        foreach (var (label, members) in new[] { ("mixed", batch), ("all pending", pending) })
        {
            var approvers = ApprovalMessageBuilder.ForApprovers(members, "prod", "U0REQUESTER");
            AssertValid($"batch approvers {label} {batchSize}x{rules}", approvers.Text, approvers.Blocks);
            var monitoring = ApprovalMessageBuilder.ForMonitoring(members, "prod", null);
            AssertValid($"batch monitoring {label} {batchSize}x{rules}", monitoring.Text, monitoring.Blocks);
            var compact = ApprovalMessageBuilder.Compact(members, "prod", withButtons: true, "msg_too_long");
            AssertValid($"batch compact {label}", compact.Text, compact.Blocks);
            AssertValid($"batch thread reply {label}", ApprovalMessageBuilder.OutcomeReply(members.Select(r => (r, r.Status)).ToList()), null);
            AssertValid($"refused notice {label}", ApprovalMessageBuilder.RefusedNotice(members, "invalid_blocks"), null);
            AssertValid($"ephemeral batch {label}", DecisionReplies.BatchDecided(true, 1, members), null);
        }
    }

    [Fact]
    public void EphemeralReplies_StayWithinEveryLimit()
    {
        foreach (var text in new[]
        {
            DecisionReplies.Unknown("SG-ZZZZZZZZ"), DecisionReplies.NotOnThisMessage("SG-ZZZZZZZZ"), DecisionReplies.Unverified("SG-ZZZZZZZZ"),
            DecisionReplies.NotAnApprover("SG-ZZZZZZZZ"), DecisionReplies.SelfApproval("SG-ZZZZZZZZ"),
        })
        {
            AssertValid("ephemeral", text, null);
        }
    }

    [Fact]
    public void Batch_ButtonIdsAreUniquePerChange()
    {
        var requester = TestData.SsoUser();
        var batch = Enumerable.Range(0, 20).Select(i => Request(i, ChangeKind.Add, 1, RequestStatus.Pending, requester)).ToList();
        var blocks = ApprovalMessageBuilder.ForApprovers(batch, null, null).Blocks;
        var actions = blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "actions").ToList();
        Assert.Equal(21, actions.Count);
        Assert.Equal(actions.Count, actions.Select(a => (string)a["block_id"]!).Distinct().Count());
        Assert.All(batch, r => Assert.Contains(actions, a => (string)a["block_id"]! == "sgbridge_decision:" + r.Id));
    }

    [Theory]
    [InlineData("plain", 10)]
    [InlineData("a &amp; b &lt;c&gt; `code span here` <@U123> tail", 12)]
    [InlineData("x `a long code span that must not be cut` y", 20)]
    [InlineData("aaaa &amp;&amp;&amp;&amp;", 9)]
    public void Truncate_NeverCutsInsideAnEntityOrACodeSpan(string text, int max)
    {
        var cut = SlackText.Truncate(text, max);
        Assert.True(cut.Length <= max, cut);
        Assert.Empty(SlackPayloadValidator.Check(cut, null));
    }

    [Fact]
    public void Lines_CutsOnALineBoundary_AndSaysHowManyMore()
    {
        var lines = Enumerable.Range(1, 100).Select(i => $"• line {i}").ToList();
        var text = SlackText.Lines("*Title*", lines, 200, "`sgbridge requests show SG-X`");
        Assert.True(text.Length <= 200, text);
        var shown = text.Split('\n').Count(l => l.StartsWith('•'));
        Assert.EndsWith($"…and {100 - shown} more (`sgbridge requests show SG-X`)", text, StringComparison.Ordinal);
        Assert.All(text.Split('\n').Where(l => l.StartsWith('•')), l => Assert.Contains(l, lines));
    }

    /// <summary>The validator itself is not vacuous: each limit it checks, broken on purpose, is reported.</summary>
    [Theory]
    [InlineData("blocks")]
    [InlineData("section")]
    [InlineData("fields")]
    [InlineData("header")]
    [InlineData("context")]
    [InlineData("button")]
    [InlineData("value")]
    [InlineData("duplicate-id")]
    [InlineData("confirm")]
    [InlineData("text")]
    [InlineData("total")]
    [InlineData("channel")]
    [InlineData("entity")]
    [InlineData("code")]
    public void Validator_ReportsEachBrokenLimit(string broken)
    {
        static JsonObject Plain(string t) => new() { ["type"] = "plain_text", ["text"] = t };
        static JsonObject Md(string t) => new() { ["type"] = "mrkdwn", ["text"] = t };
        static JsonObject Section(string t) => new() { ["type"] = "section", ["text"] = Md(t) };
        static JsonObject Button(string id, string text = "Approve", string value = "SG-X", JsonObject? confirm = null) =>
            new() { ["type"] = "button", ["action_id"] = id, ["text"] = Plain(text), ["value"] = value, ["confirm"] = confirm };
        var text = "fine";
        var blocks = new JsonArray();
        switch (broken)
        {
            case "blocks": for (var i = 0; i < 51; i++) { blocks.Add(Section("x")); } break;
            case "section": blocks.Add(Section(new string('x', 3001))); break;
            case "fields": blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray(Enumerable.Range(0, 11).Select(_ => (JsonNode)Md("f")).ToArray()) }); break;
            case "header": blocks.Add(new JsonObject { ["type"] = "header", ["text"] = Plain(new string('h', 151)) }); break;
            case "context": blocks.Add(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Enumerable.Range(0, 11).Select(_ => (JsonNode)Md("c")).ToArray()) }); break;
            case "button": blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a", new string('b', 76))) }); break;
            case "value": blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a", value: new string('v', 2001))) }); break;
            case "duplicate-id": blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a"), Button("a")) }); break;
            case "confirm":
                var dialog = new JsonObject { ["title"] = Plain("t"), ["text"] = Plain(new string('c', 301)), ["confirm"] = Plain("ok"), ["deny"] = Plain("no") };
                blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a", confirm: dialog)) });
                break;
            case "text": text = new string('t', 4001); break;
            case "total": for (var i = 0; i < 4; i++) { blocks.Add(Section(new string('x', 2900))); } break;
            case "channel": blocks.Add(Section("hello <!channel>")); break;
            case "entity": blocks.Add(Section("cut here &am…")); break;
            case "code": blocks.Add(Section("`unclosed…")); break;
        }
        Assert.NotEmpty(SlackPayloadValidator.Check(text, blocks));
    }
}
