using SgBridge.Shared.Aws;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>
/// The policy deciding reverted changes in the event worker (over fakes): approve → Approved and applied through the
/// apply queue, deny → Denied and still reverted, ask → Pending with the rule recorded; decided once, never twice.
/// </summary>
public sealed class PolicyGateTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
    private readonly Bridge _bridge = new();
    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    public PolicyGateTests()
    {
        File.Copy(RepoRoot.Sample("policy.yaml"), _file);
        _bridge.Policy.RulesFile = _file;
        _bridge.Policy.AccountAliases = TestData.Account + "=dev";
    }

    public void Dispose() => File.Delete(_file);

    private async Task<(SecurityGroupChange Change, SecurityGroupRule Added)> RevertAsync(int port, string cidr, long dequeue = 1)
    {
        var added = Ec2.AddExisting(TestData.Tcp(port, cidr, "by hand"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString(), TestData.SsoUser()) with { Rules = [added] };
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, dequeue, default));
        return (change, added);
    }

    private async Task OnboardAsync()
    {
        Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "approved"));
        await _bridge.OnboardAsync();
    }

    /// <summary>The requests whose apply a decision recorded (an effect on the row, written with the decision).</summary>
    private string[] Applies() => _bridge.Requests.AppliesRecorded.ToArray();

    private async Task ApplyAllAsync()
    {
        foreach (var id in Applies())
        {
            await _bridge.Applier().ApplyAsync(id, 1, default);
        }
    }

    [Fact]
    public async Task Approve_DecidesInTheRevertsWrite_QueuesTheApply_AndTheApplyPutsTheRuleBack()
    {
        await OnboardAsync();
        var (change, added) = await RevertAsync(8080, "10.20.0.0/16");

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Approved, request.Status);
        Assert.Equal("policy:dev-private-non-admin", request.DecidedBy);
        Assert.Equal(TimeSpan.FromHours(24), request.ApprovedFor);
        Assert.Equal(("approve", "dev-private-non-admin", (int?)18), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule, request.PolicyDecision.Line));
        Assert.NotNull(request.Revert);
        // Slack is told once, with the decision: approvers never see a Pending message with buttons for it.
        Assert.Equal([RequestStatus.Approved], _bridge.Notifier.Seen.Where(s => s.Id == request.Id).Select(s => s.Status));
        Assert.Equal([request.Id], Applies());
        Assert.DoesNotContain(Ec2.Rules, r => r.SameAccessAs(added));

        await ApplyAllAsync();

        Assert.Equal(RequestStatus.Applied, _bridge.Request(change).Status);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.Contains(await _bridge.ApprovedAsync(), r => r.SameAccessAs(added));
        // The policy's 24 hours are a time-bound approval: its expiry is indexed from the decision.
        var expiry = Assert.Single(_bridge.Expiries.All);
        Assert.Equal((request.Id, request.DecidedAt!.Value + TimeSpan.FromHours(24)), (expiry.RequestId, expiry.DueAt));
    }

    [Fact]
    public async Task Deny_LeavesTheChangeReverted_AndQueuesNothing()
    {
        await OnboardAsync();
        var (change, added) = await RevertAsync(22, "0.0.0.0/0");

        var request = _bridge.Request(change);
        Assert.Equal((RequestStatus.Denied, "policy:deny-internet-admin-and-db"), (request.Status, request.DecidedBy));
        Assert.Equal("deny", request.PolicyDecision!.Outcome);
        Assert.Empty(Applies());
        Assert.DoesNotContain(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.DoesNotContain(await _bridge.ApprovedAsync(), r => r.SameAccessAs(added));
    }

    [Fact]
    public async Task Ask_StaysPending_WithTheRuleRecorded()
    {
        await OnboardAsync();
        var (change, _) = await RevertAsync(22, "10.0.0.0/8");

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Null(request.DecidedBy);
        Assert.Equal(("ask", "everything-else", (int?)32), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule, request.PolicyDecision.Line));
        Assert.Empty(Applies());
    }

    [Fact]
    public async Task NoPolicyFile_LeavesEveryChangePending_WithNoDecision()
    {
        _bridge.Policy.RulesFile = "";
        await OnboardAsync();
        var (change, _) = await RevertAsync(8080, "10.20.0.0/16");

        var request = _bridge.Request(change);
        Assert.Equal((RequestStatus.Pending, (PolicyDecisionRecord?)null), (request.Status, request.PolicyDecision));
    }

    [Fact]
    public async Task Redelivery_DecidesOnce_AndItsApplyIsIdempotent()
    {
        await OnboardAsync();
        var (change, added) = await RevertAsync(8080, "10.20.0.0/16");
        var first = _bridge.Request(change);

        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(change, 2, default));
        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(change, 1, default));

        var again = _bridge.Request(change);
        Assert.Equal((first.DecidedAt, first.DecidedBy, first.UpdatedAt), (again.DecidedAt, again.DecidedBy, again.UpdatedAt));
        Assert.Single(_bridge.Notifier.Seen, s => s.Id == first.Id && s.Status == RequestStatus.Approved);
        await ApplyAllAsync();
        Assert.Equal(RequestStatus.Applied, _bridge.Request(change).Status);
        Assert.Single(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.Single(Ec2.Writes, w => w is SgBridge.Shared.Aws.AuthorizeIngress);
    }

    [Fact]
    public async Task QueueDown_AfterTheDecision_TheApplyIsOnTheRow_AndTheCatchUpAppliesItOnce()
    {
        await OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(8080, "10.20.0.0/16"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        _bridge.Queue.FailWith = new InvalidOperationException("queue unreachable");

        // The decision and its apply are one write; the nudge after it fails, which is counted, not thrown.
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));
        Assert.Equal(RequestStatus.Approved, _bridge.Request(change).Status);
        Assert.Contains(_bridge.Request(change).Effects, e => e.Kind == EffectKind.Apply);

        _bridge.Queue.FailWith = null;
        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(change, 2, default));
        _bridge.Time.Advance(EffectsCatchUp.StuckAfter);
        Assert.Equal(1, await _bridge.CatchUp().RunAsync(default));
        await _bridge.DrainEffectsAsync();
        Assert.Equal(RequestStatus.Applied, _bridge.Request(change).Status);
        Assert.Single(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.DoesNotContain(_bridge.Request(change).Effects, e => e.Kind == EffectKind.Apply);
    }

    [Fact]
    public async Task ForgedAdd_OfAnApprovedRule_IsUnmatched_NeverApproved()
    {
        // The policy would approve TCP 443 from 10/8 in this account — but the group already holds it, approved.
        await OnboardAsync();
        var approved = Ec2.Rules.Single();
        var forged = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [approved] };

        Assert.Equal(ProcessOutcome.Unmatched, await _bridge.Processor().ProcessAsync(forged, 1, default));

        var request = _bridge.Request(forged);
        Assert.Equal((RequestStatus.Unmatched, (PolicyDecisionRecord?)null, (string?)null), (request.Status, request.PolicyDecision, request.DecidedBy));
        Assert.Empty(Applies());
    }

    [Fact]
    public async Task ForgedAdd_ClaimingAPrivateRange_ForAnInternetRule_IsDecidedOnWhatAwsHolds()
    {
        // The event claims 10.20.0.0/16 (which the policy approves); the group holds 0.0.0.0/0 under that rule id.
        await OnboardAsync();
        var live = Ec2.AddExisting(TestData.Tcp(8080, "0.0.0.0/0"));
        var forged = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [live with { Source = RuleSource.Ipv4("10.20.0.0/16") }] };

        await _bridge.Processor().ProcessAsync(forged, 1, default);

        var request = _bridge.Request(forged);
        Assert.NotEqual(RequestStatus.Approved, request.Status);
        Assert.Empty(Applies());
        Assert.DoesNotContain(Ec2.Rules, r => r.Source.Value == "0.0.0.0/0");
    }

    [Fact]
    public async Task RevertFailed_IsNeverDecided()
    {
        await OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(8080, "10.20.0.0/16"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        Ec2.ThrowTimes = 10;

        await Assert.ThrowsAsync<AwsServiceException>(() => _bridge.Processor().ProcessAsync(change, 5, default));

        var request = _bridge.Request(change);
        Assert.Equal((RequestStatus.RevertFailed, (PolicyDecisionRecord?)null), (request.Status, request.PolicyDecision));
        Assert.Empty(Applies());
    }

    [Fact]
    public async Task ApproveByPolicy_WhoseApplyAwsRefuses_EndsApplyFailed_Visibly()
    {
        await OnboardAsync();
        var (change, _) = await RevertAsync(8080, "10.20.0.0/16");
        Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        Ec2.ThrowTimes = 10;

        await Assert.ThrowsAsync<AwsServiceException>(() => _bridge.Applier().ApplyAsync(Applies().Single(), _bridge.Processing.MaxDequeueCount, default));

        var request = _bridge.Request(change);
        Assert.Equal((RequestStatus.ApplyFailed, "policy:dev-private-non-admin"), (request.Status, request.DecidedBy));
        Assert.Contains(_bridge.Notifier.Seen, s => s.Id == request.Id && s.Status == RequestStatus.ApplyFailed);
    }
}
