using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>The policy's line in the approvers' and monitoring messages: rule, file and line, escaped and within Slack's limits.</summary>
public class ApprovalMessagePolicyTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static ChangeRequest Pending(string eventId, PolicyDecisionRecord? decision, SecurityGroupRule? rule = null)
    {
        rule ??= TestData.Tcp(22, "10.0.0.0/8", "ssh");
        var change = TestData.Change(ChangeKind.Add, eventId) with { Rules = [rule] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.RecordFound(TestData.GroupId, "web", "vpc-0abc", [rule], [], [], false, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T);
        if (decision is not null)
        {
            r.RecordPolicyDecision(decision, T);
        }
        return r;
    }

    private static IEnumerable<string> Mrkdwn(JsonNode? node) => node switch
    {
        JsonObject o when (string?)o["type"] == "mrkdwn" => [(string)o["text"]!],
        JsonObject o => o.SelectMany(p => Mrkdwn(p.Value)),
        JsonArray a => a.SelectMany(Mrkdwn),
        _ => [],
    };

    private static readonly PolicyDecisionRecord Ask = new("ask", "everything-else", 32, "policy.yaml", "TCP 22 from 10.0.0.0/8 (ssh): rule 'everything-else' (line 32) says ask");

    [Fact]
    public void Asked_ShowsRuleFileAndLine_WithTheButtons()
    {
        var m = ApprovalMessageBuilder.ForApprovers([Pending("e1", Ask)], null, null);
        var line = Assert.Single(Mrkdwn(m.Blocks), t => t.Contains("*Policy*", StringComparison.Ordinal));
        Assert.Contains("asks an approver: rule `everything-else` (policy.yaml line 32)", line, StringComparison.Ordinal);
        Assert.Contains(m.Blocks.OfType<JsonObject>(), b => (string?)b["type"] == "actions");
    }

    [Fact]
    public void NoDecision_NoPolicyLine() =>
        Assert.DoesNotContain(Mrkdwn(ApprovalMessageBuilder.ForApprovers([Pending("e2", null)], null, null).Blocks), t => t.Contains("*Policy*", StringComparison.Ordinal));

    [Fact]
    public void ApprovedByPolicy_ShowsTheDuration_NoButtons_InMonitoring()
    {
        var r = Pending("e3", new PolicyDecisionRecord("approve", "dev-private", 18, "policy.yaml", "why", TimeSpan.FromHours(24)), TestData.Tcp(8080, "10.0.0.0/8"));
        r.Approve("policy:dev-private", "policy rule dev-private", T, TimeSpan.FromHours(24));

        var m = ApprovalMessageBuilder.ForMonitoring([r], null, null);

        Assert.Contains(Mrkdwn(m.Blocks), t => t.Contains("*Policy* approved for 1d: rule `dev-private` (policy.yaml line 18)", StringComparison.Ordinal));
        Assert.Contains(Mrkdwn(m.Blocks), t => t.Contains("Approved by policy:dev-private", StringComparison.Ordinal));
        Assert.DoesNotContain(m.Blocks.OfType<JsonObject>(), b => (string?)b["type"] == "actions");
    }

    [Fact]
    public void Batch_ShowsEachChangesDecision()
    {
        var a = Pending("e4", Ask);
        var b = Pending("e5", new PolicyDecisionRecord("ask", null, null, "policy.yaml", "no rule matches, so ask"), TestData.Tcp(23, "10.0.0.0/8"));

        var texts = Mrkdwn(ApprovalMessageBuilder.ForApprovers([a, b], null, null).Blocks).ToList();

        Assert.Contains(texts, t => t.Contains(a.Id, StringComparison.Ordinal) && t.Contains("rule `everything-else` (policy.yaml line 32)", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains(b.Id, StringComparison.Ordinal) && t.Contains("no rule matched", StringComparison.Ordinal));
    }

    [Fact]
    public void AReasonQuotingARuleDescription_IsEscaped_AndCapped()
    {
        // The reason quotes the rule's description, which anyone who can edit the group writes.
        var hostile = "<!channel> <https://evil.example|click> " + new string('x', 5000);
        var r = Pending("e6", Ask with { Reason = $"TCP 22 from 10.0.0.0/8 ({hostile}): says ask" });

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null);

        var line = Assert.Single(Mrkdwn(m.Blocks), t => t.Contains("*Policy*", StringComparison.Ordinal));
        Assert.DoesNotContain("<!channel>", line, StringComparison.Ordinal);
        Assert.DoesNotContain("<https://", line, StringComparison.Ordinal);
        Assert.True(line.Length <= 3000, line.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(ApprovalMessageBuilder.TextLength(m.Blocks) <= SlackLimits.TotalBlockText);
    }
}
