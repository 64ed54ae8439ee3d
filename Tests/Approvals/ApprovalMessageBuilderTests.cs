using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

public class ApprovalMessageBuilderTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static ChangeRequest Pending(params SecurityGroupRule[] rules)
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = rules };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.RecordFound(TestData.GroupId, "web", "vpc-0abc", rules, [], [], false, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-1]", true), T);
        return r;
    }

    private static string AllText(JsonArray blocks) =>
        blocks.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static IEnumerable<string> MrkdwnTexts(JsonNode? node) => node switch
    {
        JsonObject o when (string?)o["type"] == "mrkdwn" => [(string)o["text"]!],
        JsonObject o => o.SelectMany(p => MrkdwnTexts(p.Value)),
        JsonArray a => a.SelectMany(MrkdwnTexts),
        _ => [],
    };

    private static JsonObject? Actions(JsonArray blocks) => blocks.OfType<JsonObject>().SingleOrDefault(b => (string?)b["type"] == "actions");

    [Fact]
    public void ForApprovers_Pending_ShowsEverythingAndBothButtons()
    {
        var r = Pending(TestData.Tcp(22, "0.0.0.0/0", "temp debug"));
        var m = ApprovalMessageBuilder.ForApprovers([r], "prod", "UALICE");
        var json = AllText(m.Blocks);
        foreach (var expected in new[] { r.Id, "<@UALICE>", "wants to open TCP 22 from the internet on `web` — :warning: *SSH (22) open to the internet (0.0.0.0/0)*", TestData.GroupId, "`prod` (`111111111111`)", "eu-west-1", "vpc-0abc",
            "TCP 22 from the internet (0.0.0.0/0) — “temp debug”", "SSH (22) open to the internet (0.0.0.0/0)", "Already reverted by the bridge: revoked 1 rule by id", r.EventId })
        {
            Assert.Contains(expected, json, StringComparison.Ordinal);
        }
        var header = (string)m.Blocks[0]!["text"]!["text"]!;
        Assert.Contains(r.Id, header, StringComparison.Ordinal);
        Assert.Contains("prod (111111111111)", header, StringComparison.Ordinal);
        Assert.Contains("web", header, StringComparison.Ordinal);
        var buttons = Actions(m.Blocks)!["elements"]!.AsArray();
        Assert.Equal([ActionIds.For(ActionIds.Approve, r.Id), ActionIds.For(ActionIds.Deny, r.Id)], buttons.Select(b => (string)b!["action_id"]!));
        Assert.All(buttons, b => Assert.Equal(r.Id, (string)b!["value"]!));
        // SSH from the internet: approving asks twice; denying stays one click.
        Assert.NotNull(buttons[0]!["confirm"]);
        Assert.Null(buttons[1]!["confirm"]);
        // Risk first: the notification text says it before anything else.
        Assert.StartsWith("RISKY: " + r.Id, m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ForApprovers_HarmlessChange_ApprovesInOneClick()
    {
        var buttons = Actions(ApprovalMessageBuilder.ForApprovers([Pending(TestData.Tcp(443, "10.0.0.0/8"))], null, null).Blocks)!["elements"]!.AsArray();
        Assert.All(buttons, b => Assert.Null(b!["confirm"]));
    }

    [Fact]
    public void ForApprovers_AfterDecision_HasNoButtonsAndSaysWhoDecided()
    {
        var r = Pending(TestData.Tcp(443, "10.0.0.0/8"));
        r.Deny("UBOB", "bob", T.AddMinutes(3));
        var m = ApprovalMessageBuilder.ForApprovers([r], null, null);
        Assert.Null(Actions(m.Blocks));
        Assert.Contains("Denied by <@UBOB> <!date^1795521780^{date_short_pretty} {time}|2026-11-24 12:03 UTC>", AllText(m.Blocks), StringComparison.Ordinal);
    }

    [Fact]
    public void ForMonitoring_NeverHasButtons() =>
        Assert.Null(Actions(ApprovalMessageBuilder.ForMonitoring([Pending(TestData.Tcp(22, "0.0.0.0/0"))], null, null).Blocks));

    [Fact]
    public void Build_EscapesWhatAwsUsersWrote()
    {
        // A rule description is free text anyone with ec2 permissions can set: it must not ping or link.
        var r = Pending(TestData.Tcp(443, "10.0.0.0/8", "<!channel> see <https://evil.example|docs> & more"));
        var json = AllText(ApprovalMessageBuilder.ForApprovers([r], null, null).Blocks);
        Assert.DoesNotContain("<!channel>", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<https://evil", json, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt;", json, StringComparison.Ordinal);
        Assert.Contains("&amp; more", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Modify_ShowsBeforeAndAfter()
    {
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-1", TestData.Tcp(22, "0.0.0.0/0"))] };
        var r = ChangeRequest.Open("SG-TEST0001", change, T);
        r.RecordFound(TestData.GroupId, null, null, [], [], [new RuleEdit("sgr-1", TestData.Tcp(22, "10.0.0.0/8"), TestData.Tcp(22, "0.0.0.0/0"))], false, T);
        var json = AllText(ApprovalMessageBuilder.ForApprovers([r], null, null).Blocks);
        Assert.Contains("TCP 22 from 10.0.0.0/8 → *TCP 22 from the internet (0.0.0.0/0)*", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ManyRules_StaysWithinSlackLimits()
    {
        var rules = Enumerable.Range(1, 300).Select(i => TestData.Tcp(1000 + i, $"10.{i / 250}.{i % 250}.0/24", new string('d', 200))).ToArray();
        var m = ApprovalMessageBuilder.ForApprovers([Pending(rules)], null, null);
        Assert.True(m.Blocks.Count <= 50);
        Assert.All(m.Blocks.OfType<JsonObject>().Where(b => b["text"]?["text"] is not null), b => Assert.True(((string)b["text"]!["text"]!).Length <= 3000));
        var rulesText = m.Blocks.OfType<JsonObject>().Select(b => (string?)b["text"]?["text"]).Single(t => t?.StartsWith("*Rules to add*", StringComparison.Ordinal) == true)!;
        var shown = rulesText.Split('\n').Count(l => l.StartsWith("• ", StringComparison.Ordinal));
        var more = int.Parse(System.Text.RegularExpressions.Regex.Match(rulesText, "and ([0-9]+) more").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(shown, 1, 20);
        Assert.Equal(300, shown + more);
    }

    [Fact]
    public void OutcomeReply_Failed_CarriesTheAwsCode()
    {
        var r = Pending(TestData.Tcp(22, "10.0.0.0/8"));
        r.Approve("UA", "a", T);
        r.MarkApplyFailed(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", false, "InvalidPermission.Duplicate", "The rule already exists."), T);
        var reply = ApprovalMessageBuilder.OutcomeReply(r, RequestStatus.ApplyFailed);
        Assert.Contains("InvalidPermission.Duplicate", reply, StringComparison.Ordinal);
        Assert.Contains("already exists", reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp", 3389, 3389, "0.0.0.0/0", "RDP (3389) open to the internet (0.0.0.0/0)")]
    [InlineData("tcp", 5432, 5432, "0.0.0.0/0", "PostgreSQL (5432) open to the internet (0.0.0.0/0)")]
    [InlineData("-1", null, null, "0.0.0.0/0", "All traffic from the internet (0.0.0.0/0)")]
    [InlineData("tcp", 0, 65535, "10.0.0.0/8", "Wide port range 0-65535 from 10.0.0.0/8")]
    public void RiskAssessor_FlagsDangerousAccess(string protocol, int? from, int? to, string cidr, string flag)
    {
        var r = Pending(new SecurityGroupRule(protocol, from, to, RuleSource.Ipv4(cidr)));
        Assert.Contains(flag, RiskAssessor.Assess(r));
    }

    [Fact]
    public void RiskAssessor_Ipv6Internet_IsTheInternetToo() =>
        Assert.Contains("SSH (22) open to the internet (::/0)", RiskAssessor.Assess(Pending(new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv6("::/0")))));

    [Fact]
    public void RiskAssessor_PrivateHttps_HasNoFlags() =>
        Assert.Empty(RiskAssessor.Assess(Pending(TestData.Tcp(443, "10.0.0.0/8"))));

    [Theory]
    [InlineData("eu-west-1", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    [InlineData("cn-north-1", "https://console.amazonaws.cn/ec2/home?region=cn-north-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    [InlineData("us-gov-west-1", "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    public void ConsoleLinks_SecurityGroup_UsesThePartitionsConsole(string region, string expected) =>
        Assert.Equal(expected, ConsoleLinks.SecurityGroup(region, TestData.GroupId));

    [Theory]
    [InlineData("eu-west-1", "sg-0123456789abcdef0|<!channel>")]
    [InlineData("eu-west-1>", "sg-0123456789abcdef0")]
    [InlineData(null, "sg-0123456789abcdef0")]
    public void ConsoleLinks_AnythingMalformed_MakesNoLink(string? region, string groupId) =>
        Assert.Null(ConsoleLinks.SecurityGroup(region, groupId));

    [Fact]
    public void ForApprovers_LinksTheGroupAndTheCloudTrailEvent()
    {
        var r = Pending(TestData.Tcp(22, "0.0.0.0/0"));
        var json = AllText(ApprovalMessageBuilder.ForApprovers([r], null, null).Blocks);
        Assert.Contains($"<https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId={TestData.GroupId}|{TestData.GroupId}>", json, StringComparison.Ordinal);
        Assert.Contains($"<https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events?EventId={r.EventId}|AuthorizeSecurityGroupIngress>", json, StringComparison.Ordinal);
        Assert.Contains("<!date^1795514400^{date_short_pretty} {time}|2026-11-24 10:00 UTC>", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ShowsCallSummaries_NotTheCallText()
    {
        var rules = Enumerable.Range(1, 60).Select(i => TestData.Tcp(1000 + i, "10.0.0.0/8", new string('d', 100), ruleId: $"sgr-{i:D17}")).ToArray();
        var r = Pending(rules);
        var call = $"ec2:RevokeSecurityGroupIngress GroupId={TestData.GroupId} SecurityGroupRuleIds=[{string.Join(", ", rules.Select(x => x.RuleId))}]";
        var change = TestData.Change(ChangeKind.Add, eventId: "evt-60") with { Rules = rules };
        var sixty = ChangeRequest.Open("SG-SIXTY000", change, T);
        sixty.MarkReverted(new CallOutcome(call, true), T);
        var json = AllText(ApprovalMessageBuilder.ForApprovers([sixty], null, null).Blocks);
        Assert.Contains("revoked 60 rules by id", json, StringComparison.Ordinal);
        Assert.DoesNotContain("SecurityGroupRuleIds", json, StringComparison.Ordinal);
        Assert.Contains("`sgbridge requests show SG-SIXTY000`", json, StringComparison.Ordinal);
        Assert.Contains("revoked 60 rules by id", ApprovalMessageBuilder.OutcomeReply(sixty, RequestStatus.Pending), StringComparison.Ordinal);
        Assert.NotNull(r);
    }

    [Theory]
    [InlineData("ec2:AuthorizeSecurityGroupIngress GroupId=sg-1 IpPermissions=[TCP 22 from 0.0.0.0/0; TCP 23 from 0.0.0.0/0]", "authorized 2 rules")]
    [InlineData("ec2:ModifySecurityGroupRules GroupId=sg-1 SecurityGroupRules=[sgr-1 -> TCP 22 from 10.0.0.0/8]", "modified 1 rule")]
    [InlineData("ec2:RevokeSecurityGroupIngress GroupId=sg-1 SecurityGroupRuleIds=[sgr-1] + ec2:AuthorizeSecurityGroupIngress GroupId=sg-1 IpPermissions=[TCP 22 from 10.0.0.0/8]", "revoked 1 rule by id, then authorized 1 rule")]
    [InlineData("none", "nothing to do")]
    public void CallSummary_SaysWhatTheCallDid(string call, string expected) =>
        Assert.Equal(expected, CallSummary.Of(new CallOutcome(call, true)));

    [Fact]
    public void StatusWords_EveryStatusHasReadableWords()
    {
        foreach (var status in Enum.GetValues<RequestStatus>())
        {
            var words = ApprovalMessageBuilder.StatusWords(status);
            Assert.Contains(" ", words, StringComparison.Ordinal);
            Assert.NotEqual(status.ToString().ToLowerInvariant(), words);
        }
    }

    [Fact]
    public void Build_DriftFoundByTheSweep_SaysTheRequesterIsUnknown()
    {
        var nobody = new Requester(PrincipalType.Unknown, null, null, null, null, null, null, null, null, null);
        var r = ChangeRequest.Open("SG-SWEEP001", TestData.Change(ChangeKind.Add, requester: nobody) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] }, T);
        var m = ApprovalMessageBuilder.ForMonitoring([r], null, null);
        Assert.Contains("unknown (found by the sweep)", AllText(m.Blocks), StringComparison.Ordinal);
        Assert.Contains("unknown (found by the sweep)", m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EscapesMrkdwnControlCharacters_AndTheTopLevelText()
    {
        var sneaky = new Requester(PrincipalType.IamUser, $"arn:aws:iam::{TestData.Account}:user/x", TestData.Account, "AIDA", "*bold*_it_~st~`code`<!channel>", null, null, null, null, null);
        var change = TestData.Change(ChangeKind.Add, requester: sneaky) with { Rules = [TestData.Tcp(443, "10.0.0.0/8", "*x* _y_ ~z~ `w` <!here>")] };
        var r = ChangeRequest.Open("SG-SNEAKY01", change, T);
        r.RecordFound(TestData.GroupId, "*prod*_db_", null, change.Rules, [], [], false, T);
        r.MarkReverted(new CallOutcome("revoke", true), T);
        var m = ApprovalMessageBuilder.ForApprovers([r], null, null);
        // Plain text (header, buttons) is shown as is; everything Slack parses as mrkdwn must be escaped. Identifiers (the
        // user name, the group name) are code spans, where markers mean nothing and the name stays pasteable; free text
        // (the description) gets look-alikes.
        var json = string.Join("\n", MrkdwnTexts(m.Blocks));
        var outsideCode = System.Text.RegularExpressions.Regex.Replace(json, "`[^`]*`", "");
        foreach (var raw in new[] { "*bold*", "_it_", "~st~", "`code`", "<!channel>", "*x*", "_y_", "<!here>", "*prod*" })
        {
            Assert.DoesNotContain(raw, outsideCode, StringComparison.Ordinal);
        }
        // The top-level (notification) text is plain: escaped so it cannot mention or link, no code span (a backtick shows
        // as ˋ), and identifiers exactly as AWS wrote them, without look-alikes (issue 23).
        Assert.DoesNotContain('<', m.Text);
        Assert.DoesNotMatch("`[^`]+`", m.Text);
        Assert.Contains("*bold*_it_~st~ˋcodeˋ&lt;!channel&gt;", m.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<!here", json, StringComparison.Ordinal);
        Assert.Contains("`*bold*_it_~st~ˋcodeˋ&lt;!channel&gt;`", json, StringComparison.Ordinal);
        Assert.Contains("`*prod*_db_`", json, StringComparison.Ordinal);
        Assert.Contains("“∗x∗ ˍyˍ ∼z∼ ˋwˋ &lt;!here&gt;”", json, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt;", m.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("U0ALICE", "<@U0ALICE>")]
    [InlineData("W0GRID01", "<@W0GRID01>")]
    [InlineData("!channel", "!channel")]
    [InlineData("U1>|<!here", "U1&gt;|&lt;!here")]
    public void Mention_OnlyMakesATokenOfASlackUserId(string id, string expected) =>
        Assert.Equal(expected, ApprovalMessageBuilder.Mention(id));
}
