using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Domain;

/// <summary>Time-bound rules in the approved state: expiry from the decision, extend-never-shorten, expiry and early revoke.</summary>
public class ApprovedGroupAccessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private static readonly SecurityGroupRule Ssh = TestData.Tcp(22, "10.0.0.0/8", "ssh");

    private static ApprovedGroup Group(params SecurityGroupRule[] baseline) =>
        ApprovedGroup.Create(TestData.Account, TestData.Region, TestData.GroupId, "web", null, baseline, ApprovalOrigin.Baseline, T0);

    private static ChangeRequest Approved(string eventId, TimeSpan? duration, DateTimeOffset decidedAt, params SecurityGroupRule[] rules)
    {
        var r = ChangeRequest.Open(RequestId.For(eventId), TestData.Change(ChangeKind.Add, eventId) with { Rules = rules }, T0);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T0);
        r.Approve("UA", "ann", decidedAt, duration);
        return r;
    }

    [Fact]
    public void ApplyRequest_TimeBound_ExpiresAtDecisionPlusDuration_NotAtApplyTime()
    {
        var g = Group();
        var r = Approved("e1", TimeSpan.FromHours(1), T0.AddMinutes(5), Ssh);

        g.ApplyRequest(r, T0.AddMinutes(40)); // applied late (retries): the access still ends an hour after the decision

        Assert.Equal(T0.AddMinutes(65), Assert.Single(g.Rules).ExpiresAt);
    }

    [Fact]
    public void ApplyRequest_Permanent_HasNoExpiry()
    {
        var g = Group();
        g.ApplyRequest(Approved("e1", null, T0, Ssh), T0);

        Assert.Null(Assert.Single(g.Rules).ExpiresAt);
    }

    [Fact]
    public void ApplyRequest_AlreadyPermanent_StaysPermanent()
    {
        var g = Group(Ssh);
        g.ApplyRequest(Approved("e1", TimeSpan.FromHours(1), T0, Ssh), T0);

        var rule = Assert.Single(g.Rules);
        Assert.Null(rule.ExpiresAt);
        Assert.Equal(ApprovalOrigin.Baseline, rule.Origin);
    }

    [Fact]
    public void ApplyRequest_ReApprovalLonger_Extends_ShorterDoesNotShorten_PermanentMakesPermanent()
    {
        var g = Group();
        g.ApplyRequest(Approved("e1", TimeSpan.FromHours(8), T0, Ssh), T0);
        Assert.Equal(T0.AddHours(8), g.Rules.Single().ExpiresAt);

        g.ApplyRequest(Approved("e2", TimeSpan.FromHours(1), T0.AddHours(1), Ssh), T0.AddHours(1));
        Assert.Equal(T0.AddHours(8), g.Rules.Single().ExpiresAt);

        var longer = Approved("e3", TimeSpan.FromHours(24), T0.AddHours(2), Ssh);
        g.ApplyRequest(longer, T0.AddHours(2));
        Assert.Equal((T0.AddHours(26), longer.Id), (g.Rules.Single().ExpiresAt, g.Rules.Single().RequestId));

        g.ApplyRequest(Approved("e4", null, T0.AddHours(3), Ssh), T0.AddHours(3));
        Assert.Null(g.Rules.Single().ExpiresAt);
    }

    [Fact]
    public void RemoveExpired_TakesOutOnlyRunOutRules_AtTheExactDueTime()
    {
        var other = TestData.Tcp(443, "10.0.0.0/8", "https");
        var g = Group(other);
        g.ApplyRequest(Approved("e1", TimeSpan.FromHours(1), T0, Ssh), T0);

        Assert.Empty(g.RemoveExpired(T0.AddHours(1).AddTicks(-1)));
        Assert.Equal(2, g.Rules.Count);
        var gone = g.RemoveExpired(T0.AddHours(1));

        Assert.Equal("ssh", Assert.Single(gone).Rule.Description);
        Assert.Equal("https", Assert.Single(g.Rules).Rule.Description);
        Assert.Empty(g.RemoveExpired(T0.AddHours(2)));
    }

    [Fact]
    public void RevokeAccessOf_TakesBackOnlyWhatARequestApproved()
    {
        var g = Group(TestData.Tcp(443, "10.0.0.0/8", "https"));
        var r = Approved("e1", TimeSpan.FromHours(1), T0, Ssh);
        g.ApplyRequest(r, T0);
        var baselineLookalike = Approved("e2", TimeSpan.FromHours(1), T0, TestData.Tcp(443, "10.0.0.0/8", "https"));

        Assert.Single(g.RevokeAccessOf(r, T0));
        Assert.Empty(g.RevokeAccessOf(baselineLookalike, T0));
        Assert.Equal("https", Assert.Single(g.Rules).Rule.Description);
    }

    [Fact]
    public void ApprovedGroup_RoundTripsExpiryThroughJson()
    {
        var g = Group();
        g.ApplyRequest(Approved("e1", TimeSpan.FromHours(1), T0, Ssh), T0);

        var back = BridgeJson.Deserialize<ApprovedGroup>(BridgeJson.Serialize(g));

        Assert.Equal(T0.AddHours(1), back.Rules.Single().ExpiresAt);
    }
}
