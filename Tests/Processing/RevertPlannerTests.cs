using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

public class RevertPlannerTests
{
    private const string G = TestData.GroupId;

    [Fact]
    public void Plan_Add_WithRuleIds_RevokesExactlyThoseIds()
    {
        var change = TestData.Change(ChangeKind.Add) with
        {
            Rules = [TestData.Tcp(22, "0.0.0.0/0", ruleId: "sgr-1"), TestData.Tcp(3389, "0.0.0.0/0", ruleId: "sgr-2")],
        };
        var plan = RevertPlanner.Plan(change, G, snapshot: null);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(plan.Writes));
        Assert.Equal(["sgr-1", "sgr-2"], write.RuleIds);
        Assert.False(plan.PreviousContentUnknown);
    }

    [Fact]
    public void Plan_Add_WithoutRuleIds_RevokesByExactPermissions()
    {
        var rules = new[] { TestData.Tcp(22, "198.51.100.0/24", "ssh") };
        var plan = RevertPlanner.Plan(TestData.Change(ChangeKind.Add) with { Rules = rules }, G, null);
        var write = Assert.IsType<RevokeIngressByRules>(Assert.Single(plan.Writes));
        Assert.Equal(rules, write.Rules);
    }

    [Fact]
    public void Plan_Add_Nothing_HasNoWrite()
    {
        var plan = RevertPlanner.Plan(TestData.Change(ChangeKind.Add), G, null);
        Assert.Empty(plan.Writes);
        Assert.Contains(plan.Notes, n => n.Contains("nothing to revert", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_Remove_ReauthorisesWithTheSnapshotsDescription()
    {
        var change = TestData.Change(ChangeKind.Remove) with { Rules = [TestData.Tcp(443, "0.0.0.0/0")] };
        var snapshot = TestData.Snapshot(TestData.Tcp(443, "0.0.0.0/0", "public https", "sgr-old"));
        var plan = RevertPlanner.Plan(change, G, snapshot);
        var write = Assert.IsType<AuthorizeIngress>(Assert.Single(plan.Writes));
        var rule = Assert.Single(write.Rules);
        Assert.Equal("public https", rule.Description);
        Assert.Null(rule.RuleId);
    }

    [Fact]
    public void Plan_Remove_KeepsTheEventsOwnDescription()
    {
        var change = TestData.Change(ChangeKind.Remove) with { Rules = [TestData.Tcp(443, "0.0.0.0/0", "from response", "sgr-9")] };
        var plan = RevertPlanner.Plan(change, G, TestData.Snapshot(TestData.Tcp(443, "0.0.0.0/0", "stale", "sgr-9")));
        Assert.Equal("from response", Assert.Single(Assert.IsType<AuthorizeIngress>(Assert.Single(plan.Writes)).Rules).Description);
    }

    [Fact]
    public void Plan_RemoveByIds_ResolvesContentFromTheSnapshot()
    {
        var change = TestData.Change(ChangeKind.Remove) with { RuleIds = ["sgr-a", "sgr-b"] };
        var snapshot = TestData.Snapshot(TestData.Tcp(22, "10.0.0.0/8", "admin", "sgr-a"), TestData.Tcp(80, "0.0.0.0/0", "web", "sgr-b"), TestData.Tcp(5432, "10.1.0.0/16", "db", "sgr-c"));
        var plan = RevertPlanner.Plan(change, G, snapshot);
        var write = Assert.IsType<AuthorizeIngress>(Assert.Single(plan.Writes));
        Assert.Equal([22, 80], write.Rules.Select(r => r.FromPort!.Value));
        Assert.Equal(["admin", "web"], write.Rules.Select(r => r.Description!));
        Assert.Empty(plan.UnresolvedRuleIds);
        Assert.False(plan.PreviousContentUnknown);
    }

    [Fact]
    public void Plan_RemoveByIds_WithoutSnapshot_FlagsUnknownAndWritesNothing()
    {
        var change = TestData.Change(ChangeKind.Remove) with { RuleIds = ["sgr-a"] };
        var plan = RevertPlanner.Plan(change, G, null);
        Assert.Empty(plan.Writes);
        Assert.True(plan.PreviousContentUnknown);
        Assert.Equal(["sgr-a"], plan.UnresolvedRuleIds);
        Assert.Contains(plan.Notes, n => n.Contains("No snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_RemoveByIds_PartlyKnown_RestoresTheKnownAndFlagsTheRest()
    {
        var change = TestData.Change(ChangeKind.Remove) with { RuleIds = ["sgr-a", "sgr-x"] };
        var plan = RevertPlanner.Plan(change, G, TestData.Snapshot(TestData.Tcp(22, "10.0.0.0/8", "admin", "sgr-a")));
        Assert.Single(Assert.IsType<AuthorizeIngress>(Assert.Single(plan.Writes)).Rules);
        Assert.Equal(["sgr-x"], plan.UnresolvedRuleIds);
        Assert.True(plan.PreviousContentUnknown);
    }

    [Fact]
    public void Plan_Modify_RestoresThePreviousContent_InOneCall()
    {
        var after = TestData.Tcp(22, "0.0.0.0/0", "opened up");
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-a", after)] };
        var before = TestData.Tcp(22, "10.0.0.0/8", "admin", "sgr-a");
        var plan = RevertPlanner.Plan(change, G, TestData.Snapshot(before));
        var write = Assert.IsType<ModifyRules>(Assert.Single(plan.Writes));
        var m = Assert.Single(write.Modifications);
        Assert.Equal("sgr-a", m.RuleId);
        Assert.Equal("10.0.0.0/8", m.After.Source.Value);
        Assert.Equal("admin", m.After.Description);
        var edit = Assert.Single(plan.Edits);
        Assert.Equal(after, edit.After);
        Assert.Equal("10.0.0.0/8", edit.Before!.Source.Value);
    }

    [Fact]
    public void Plan_Modify_WithoutSnapshot_FailsClosedByRevokingTheRule()
    {
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-a", TestData.Tcp(22, "0.0.0.0/0"))] };
        var plan = RevertPlanner.Plan(change, G, null);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(plan.Writes));
        Assert.Equal(["sgr-a"], write.RuleIds);
        Assert.True(plan.PreviousContentUnknown);
        Assert.Null(Assert.Single(plan.Edits).Before);
    }

    [Fact]
    public void Plan_Modify_MixedKnowledge_RestoresKnownAndRevokesUnknown()
    {
        var change = TestData.Change(ChangeKind.Modify) with
        {
            Modifications = [new RuleModification("sgr-a", TestData.Tcp(22, "0.0.0.0/0")), new RuleModification("sgr-z", TestData.Tcp(80, "0.0.0.0/0"))],
        };
        var plan = RevertPlanner.Plan(change, G, TestData.Snapshot(TestData.Tcp(22, "10.0.0.0/8", null, "sgr-a")));
        Assert.Equal(2, plan.Writes.Count);
        Assert.IsType<ModifyRules>(plan.Writes[0]);
        Assert.Equal(["sgr-z"], Assert.IsType<RevokeIngressByIds>(plan.Writes[1]).RuleIds);
    }

    [Fact]
    public void ApplyPlanner_ModifyAfterFailClosed_AuthorisesTheRequestedContent()
    {
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-a", TestData.Tcp(22, "203.0.113.0/24", "vpn"))] };
        var request = ChangeRequest.Open("SG-TEST0001", change, DateTimeOffset.UnixEpoch);
        var plan = RevertPlanner.Plan(change, G, null);
        request.Describe(G, null, null, plan.Rules, plan.UnresolvedRuleIds, plan.Edits, plan.PreviousContentUnknown, DateTimeOffset.UnixEpoch);
        var write = Assert.IsType<AuthorizeIngress>(Assert.Single(ApplyPlanner.Plan(request)));
        Assert.Equal("vpn", Assert.Single(write.Rules).Description);
    }

    [Fact]
    public void ApplyPlanner_Modify_ReappliesTheEdit()
    {
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-a", TestData.Tcp(22, "203.0.113.0/24", "vpn"))] };
        var request = ChangeRequest.Open("SG-TEST0001", change, DateTimeOffset.UnixEpoch);
        var plan = RevertPlanner.Plan(change, G, TestData.Snapshot(TestData.Tcp(22, "10.0.0.0/8", null, "sgr-a")));
        request.Describe(G, null, null, plan.Rules, plan.UnresolvedRuleIds, plan.Edits, plan.PreviousContentUnknown, DateTimeOffset.UnixEpoch);
        var write = Assert.IsType<ModifyRules>(Assert.Single(ApplyPlanner.Plan(request)));
        Assert.Equal("203.0.113.0/24", Assert.Single(write.Modifications).After.Source.Value);
    }

    [Fact]
    public void ApplyPlanner_AddAndRemove_CarryTheRulesWithoutOldIds()
    {
        var add = ChangeRequest.Open("SG-1", TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", "x", "sgr-1")] }, DateTimeOffset.UnixEpoch);
        Assert.Null(Assert.Single(Assert.IsType<AuthorizeIngress>(Assert.Single(ApplyPlanner.Plan(add))).Rules).RuleId);
        var remove = ChangeRequest.Open("SG-2", TestData.Change(ChangeKind.Remove) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", "x", "sgr-1")] }, DateTimeOffset.UnixEpoch);
        Assert.Null(Assert.Single(Assert.IsType<RevokeIngressByRules>(Assert.Single(ApplyPlanner.Plan(remove))).Rules).RuleId);
    }
}
