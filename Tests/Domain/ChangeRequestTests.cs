using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Domain;

public class ChangeRequestTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static ChangeRequest Pending()
    {
        var r = ChangeRequest.Open("SG-TEST0001", TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] }, T0);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T0.AddSeconds(1));
        return r;
    }

    [Fact]
    public void Open_StartsReverting_WithTheChangeCopied()
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", "ssh")] };
        var r = ChangeRequest.Open("SG-TEST0001", change, T0);
        Assert.Equal(RequestStatus.Reverting, r.Status);
        Assert.Equal(change.EventId, r.EventId);
        Assert.Equal(TestData.GroupId, r.GroupId);
        Assert.Equal("ssh", Assert.Single(r.Rules).Description);
        Assert.Equal(T0, r.CreatedAt);
        Assert.False(r.IsFinal);
    }

    [Fact]
    public void HappyPath_RevertApproveApply_EndsApplied()
    {
        var r = Pending();
        Assert.Equal(RequestStatus.Pending, r.Status);
        r.Approve("U123", "alice", T0.AddMinutes(5));
        Assert.Equal(("U123", T0.AddMinutes(5)), (r.DecidedBy, r.DecidedAt!.Value));
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T0.AddMinutes(6));
        Assert.Equal(RequestStatus.Applied, r.Status);
        Assert.True(r.IsFinal);
    }

    [Fact]
    public void Approve_Throws_WhenAlreadyDenied()
    {
        var r = Pending();
        r.Deny("U1", "carol", T0);
        var ex = Assert.Throws<RequestStateException>(() => r.Approve("U2", "dave", T0));
        Assert.Contains("Denied", ex.Message, StringComparison.Ordinal);
        Assert.Equal("U1", r.DecidedBy);
    }

    [Fact]
    public void Approve_Throws_WhileStillReverting()
    {
        var r = ChangeRequest.Open("SG-TEST0001", TestData.Change(ChangeKind.Add), T0);
        Assert.Throws<RequestStateException>(() => r.Approve("U1", null, T0));
    }

    [Fact]
    public void Exempt_IsFinal_AndCannotBeDecidedOrReverted()
    {
        var r = ChangeRequest.RecordExempt("SG-TEST0001", TestData.Change(ChangeKind.Add), "pipeline", T0);
        Assert.Equal(RequestStatus.Exempt, r.Status);
        Assert.Equal("pipeline", r.ExemptReason);
        Assert.Throws<RequestStateException>(() => r.MarkReverted(new CallOutcome("x", true), T0));
        Assert.Throws<RequestStateException>(() => r.Approve("U1", null, T0));
    }

    [Fact]
    public void MarkReverted_Throws_WhenDoneTwice()
    {
        var r = Pending();
        Assert.Throws<RequestStateException>(() => r.MarkReverted(new CallOutcome("x", true), T0));
        Assert.Throws<RequestStateException>(() => r.MarkRevertFailed(new CallOutcome("x", false), T0));
    }

    [Fact]
    public void MarkApplied_Throws_UnlessApproved()
    {
        var r = Pending();
        Assert.Throws<RequestStateException>(() => r.MarkApplied(new CallOutcome("x", true), T0));
        Assert.Throws<RequestStateException>(() => r.MarkApplyFailed(new CallOutcome("x", false), T0));
    }

    [Fact]
    public void Expire_OnlyFromPending()
    {
        var r = Pending();
        r.Expire(T0.AddDays(1));
        Assert.Equal(RequestStatus.Expired, r.Status);
        Assert.Throws<RequestStateException>(() => r.Expire(T0));
    }

    [Fact]
    public void RevertFailed_IsFinal()
    {
        var r = ChangeRequest.Open("SG-TEST0001", TestData.Change(ChangeKind.Add), T0);
        r.MarkRevertFailed(new CallOutcome("revoke", false, "UnauthorizedOperation"), T0);
        Assert.True(r.IsFinal);
        Assert.Equal("UnauthorizedOperation", r.Revert!.ErrorCode);
        Assert.Throws<RequestStateException>(() => r.Approve("U1", null, T0));
    }

    [Fact]
    public void Json_RoundTrip_KeepsEveryField()
    {
        var r = Pending();
        r.Approve("U123", "alice", T0.AddMinutes(1));
        var back = BridgeJson.Deserialize<ChangeRequest>(BridgeJson.Serialize(r));
        Assert.Equal(BridgeJson.Serialize(r), BridgeJson.Serialize(back));
        Assert.Equal(RequestStatus.Approved, back.Status);
        Assert.Equal(TestData.SsoUser(), back.Requester);
    }
}
