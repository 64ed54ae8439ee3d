using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Domain;

public class ChangeRequestAccessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static ChangeRequest Pending(ChangeKind kind = ChangeKind.Add)
    {
        var r = ChangeRequest.Open("SG-AAAAAAAA", TestData.Change(kind) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] }, T0);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T0);
        return r;
    }

    [Fact]
    public void EndAccess_FromApplied_IsFinalWithReasonAndWho()
    {
        var r = Pending();
        r.Approve("UA", "ann", T0, TimeSpan.FromHours(1));
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T0);

        r.EndAccess(AccessEndReason.Revoked, "UB", T0.AddMinutes(5));

        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Revoked, "UB", true), (r.Status, r.AccessEndReason, r.AccessEndedBy, r.IsFinal));
        Assert.Throws<RequestStateException>(() => r.EndAccess(AccessEndReason.Expired, null, T0.AddHours(1)));
    }

    [Fact]
    public void EndAccess_OfAPendingDeniedOrRemovalRequest_Throws()
    {
        Assert.Throws<RequestStateException>(() => Pending().EndAccess(AccessEndReason.Expired, null, T0));
        var denied = Pending();
        denied.Deny("UA", null, T0);
        Assert.Throws<RequestStateException>(() => denied.EndAccess(AccessEndReason.Expired, null, T0));
        var removal = Pending(ChangeKind.Remove);
        removal.Approve("UA", null, T0);
        Assert.Throws<RequestStateException>(() => removal.EndAccess(AccessEndReason.Expired, null, T0));
    }

    [Fact]
    public void OpenExtension_IsPendingWithTheSameRulesLinkedToTheOriginal_OnlyForLiveTimeBoundAccess()
    {
        var r = Pending();
        r.Approve("UA", "ann", T0, TimeSpan.FromHours(1));
        Assert.Throws<RequestStateException>(() => ChangeRequest.OpenExtension("SG-BBBBBBBB", r, T0)); // not applied yet
        r.MarkApplied(new CallOutcome("x", true), T0);

        var e = ChangeRequest.OpenExtension("SG-BBBBBBBB", r, T0.AddMinutes(30));

        Assert.Equal((RequestStatus.Pending, ChangeKind.Add, r.Id, r.Requester), (e.Status, e.Kind, e.ExtendsRequestId, e.Requester));
        Assert.Equal(r.Rules, e.Rules);
        var permanent = Pending();
        permanent.Approve("UA", null, T0);
        permanent.MarkApplied(new CallOutcome("x", true), T0);
        Assert.Throws<RequestStateException>(() => ChangeRequest.OpenExtension("SG-CCCCCCCC", permanent, T0));
    }

    [Fact]
    public void AccessUntil_IsDecisionPlusDuration()
    {
        var r = Pending();
        Assert.Null(r.AccessUntil);
        r.Approve("UA", null, T0.AddMinutes(3), TimeSpan.FromHours(8));
        Assert.Equal(T0.AddHours(8).AddMinutes(3), r.AccessUntil);
        Assert.Equal(r.AccessUntil, BridgeJson.Deserialize<ChangeRequest>(BridgeJson.Serialize(r)).AccessUntil);
    }
}
