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
        r.Describe(TestData.GroupId, "web", "vpc-0abc", rules, [], [], false, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-1]", true), T);
        return r;
    }

    private static string AllText(JsonArray blocks) =>
        blocks.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static JsonObject? Actions(JsonArray blocks) => blocks.OfType<JsonObject>().SingleOrDefault(b => (string?)b["type"] == "actions");

    [Fact]
    public void ForApprovers_Pending_ShowsEverythingAndBothButtons()
    {
        var r = Pending(TestData.Tcp(22, "0.0.0.0/0", "temp debug"));
        var m = ApprovalMessageBuilder.ForApprovers(r, "prod", "UALICE");
        var json = AllText(m.Blocks);
        foreach (var expected in new[] { r.Id, "<@UALICE>", "add inbound rules", TestData.GroupId, "web", "111111111111 (prod)", "eu-west-1", "vpc-0abc", "TCP 22 from 0.0.0.0/0 (temp debug)", "SSH (22) open to the internet (0.0.0.0/0)", "Already reverted", r.EventId })
        {
            Assert.Contains(expected, json, StringComparison.Ordinal);
        }
        var buttons = Actions(m.Blocks)!["elements"]!.AsArray();
        Assert.Equal([ActionIds.Approve, ActionIds.Deny], buttons.Select(b => (string)b!["action_id"]!));
        Assert.All(buttons, b => Assert.Equal(r.Id, (string)b!["value"]!));
        Assert.NotNull(buttons[1]!["confirm"]);
        Assert.Null(buttons[0]!["confirm"]);
        Assert.StartsWith(r.Id, m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ForApprovers_AfterDecision_HasNoButtonsAndSaysWhoDecided()
    {
        var r = Pending(TestData.Tcp(443, "10.0.0.0/8"));
        r.Deny("UBOB", "bob", T.AddMinutes(3));
        var m = ApprovalMessageBuilder.ForApprovers(r, null, null);
        Assert.Null(Actions(m.Blocks));
        Assert.Contains("Denied by <@UBOB> at 2026-11-24 12:03:00 UTC", AllText(m.Blocks), StringComparison.Ordinal);
    }

    [Fact]
    public void ForMonitoring_NeverHasButtons() =>
        Assert.Null(Actions(ApprovalMessageBuilder.ForMonitoring(Pending(TestData.Tcp(22, "0.0.0.0/0")), null, null).Blocks));

    [Fact]
    public void Build_EscapesWhatAwsUsersWrote()
    {
        // A rule description is free text anyone with ec2 permissions can set: it must not ping or link.
        var r = Pending(TestData.Tcp(443, "10.0.0.0/8", "<!channel> see <https://evil.example|docs> & more"));
        var json = AllText(ApprovalMessageBuilder.ForApprovers(r, null, null).Blocks);
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
        r.Describe(TestData.GroupId, null, null, [], [], [new RuleEdit("sgr-1", TestData.Tcp(22, "10.0.0.0/8"), TestData.Tcp(22, "0.0.0.0/0"))], false, T);
        var json = AllText(ApprovalMessageBuilder.ForApprovers(r, null, null).Blocks);
        Assert.Contains("TCP 22 from 10.0.0.0/8 → *TCP 22 from 0.0.0.0/0*", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ManyRules_StaysWithinSlackLimits()
    {
        var rules = Enumerable.Range(1, 300).Select(i => TestData.Tcp(1000 + i, $"10.{i / 250}.{i % 250}.0/24", new string('d', 200))).ToArray();
        var m = ApprovalMessageBuilder.ForApprovers(Pending(rules), null, null);
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
}
