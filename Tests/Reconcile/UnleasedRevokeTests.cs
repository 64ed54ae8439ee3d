using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Reconcile;

/// <summary>
/// Event reconciles that only take access away run without the group's lease: the races that opens, each ending at
/// the approved state (or visibly failed).
/// </summary>
public sealed class UnleasedRevokeTests
{
    private readonly Bridge _bridge = new();

    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    /// <summary>The fake EC2 with a hook that runs just before each write (another worker, an approval landing).</summary>
    private sealed class HookedClient(ISecurityGroupClient inner) : ISecurityGroupClient
    {
        public Func<Ec2Write, Task>? BeforeWrite { get; set; }

        public Func<Ec2Write, CallOutcome, CallOutcome>? Answer { get; set; }

        public Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken) => inner.DescribeGroupAsync(groupId, groupName, cancellationToken);

        public Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken) => inner.DescribeRulesAsync(groupId, cancellationToken);

        public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken) => inner.DescribeRegionAsync(cancellationToken);

        public Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken) => inner.DescribeNetworkInterfacesAsync(groupId, cancellationToken);

        public Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken) => inner.DescribeGroupTagsAsync(groupId, cancellationToken);

        public async Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken)
        {
            var hook = BeforeWrite;
            BeforeWrite = null; // once
            if (hook is not null)
            {
                await hook(write);
            }
            var outcome = await inner.ExecuteAsync(write, cancellationToken);
            return Answer is { } answer ? answer(write, outcome) : outcome;
        }
    }

    private async Task<(SecurityGroupRule Approved, SecurityGroupRule Added, SecurityGroupChange Change)> OnboardedAddAsync()
    {
        var approved = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        return (approved, added, TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] });
    }

    private Task<ReconcileReport> ReconcileAsync(ISecurityGroupClient client, SecurityGroupChange change) =>
        _bridge.Reconciler().ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Event(change, false), false, default);

    [Fact]
    public async Task ReconcileAsync_AddEventWhileTheLeaseIsHeld_RevokesWithoutWaiting()
    {
        var (approved, _, change) = await OnboardedAddAsync();
        var held = await _bridge.Groups.TryAcquireLeaseAsync(TestData.Account, TestData.Region, Ec2.GroupId, "approval", _bridge.Time.GetUtcNow(), TimeSpan.FromMinutes(1), default);
        Assert.NotNull(held);

        var report = await ReconcileAsync(Ec2, change);

        Assert.True(report.Succeeded);
        Assert.Equal([approved], Ec2.Rules);
        Assert.IsType<RevokeIngressByIds>(Assert.Single(Ec2.Writes));
    }

    [Fact]
    public async Task ReconcileAsync_TwoWorkersRevokeTheSameRule_BothEndDoneAndTheSecondSaysItWasGone()
    {
        var (approved, added, change) = await OnboardedAddAsync();
        var client = new HookedClient(Ec2);
        ReconcileReport? other = null;
        // The duplicate's worker revokes the rule between this worker's describe and its revoke.
        client.BeforeWrite = async _ => other = await ReconcileAsync(Ec2, change);

        var report = await ReconcileAsync(client, change);

        Assert.True(other!.Succeeded);
        Assert.True(report.Succeeded, report.Outcome.Message);
        Assert.Contains(report.Outcome.Notes, n => n.Contains("already gone", StringComparison.Ordinal) && n.Contains(added.RuleId!, StringComparison.Ordinal));
        Assert.Equal([approved], Ec2.Rules);
        Assert.Empty(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile));
    }

    [Fact]
    public async Task ReconcileAsync_SecondRuleStillThereAfterNotFound_IsRevokedOnce()
    {
        var approved = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var a = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        var b = Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [a, b] };
        var client = new HookedClient(Ec2);
        client.BeforeWrite = _ => { Ec2.Rules.RemoveAll(r => r.RuleId == a.RuleId); return Task.CompletedTask; }; // someone removed one by hand

        var report = await ReconcileAsync(client, change);

        Assert.True(report.Succeeded, report.Outcome.Message);
        Assert.Equal([approved], Ec2.Rules);
        var last = Assert.IsType<RevokeIngressByIds>(Ec2.Writes.Last());
        Assert.Equal([b.RuleId!], last.RuleIds);
    }

    [Fact]
    public async Task ReconcileAsync_RevokeAnswerOmitsAnId_FailsVisibly()
    {
        var (_, added, change) = await OnboardedAddAsync();
        var client = new HookedClient(Ec2) { Answer = (_, o) => o with { Notes = ["revoked sgr-someoneelse"] } };

        var report = await ReconcileAsync(client, change);

        Assert.False(report.Succeeded);
        Assert.Equal("RevokeIncomplete", report.Outcome.ErrorCode);
        Assert.Contains(added.RuleId!, report.Outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalLandsBetweenReadAndRevoke_SettleCheckGivesTheApprovedAccessBack()
    {
        var (approved, added, change) = await OnboardedAddAsync();
        var client = new HookedClient(Ec2);
        // An approval of the same access is written into the approved state after this reconcile read it, before its revoke.
        client.BeforeWrite = _ => _bridge.Groups.UpdateAsync(TestData.Account, TestData.Region, Ec2.GroupId,
            g => { g.Adopt([added with { RuleId = null }], [], "r-approved", _bridge.Time.GetUtcNow()); return true; }, default);

        var report = await ReconcileAsync(client, change);

        Assert.True(report.Succeeded);
        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22); // revoked, although approved meanwhile
        var settle = Assert.Single(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile));
        Assert.Equal(Ec2.GroupId, settle.GroupId);
        Assert.Contains(report.Outcome.Notes, n => n.Contains("approved state", StringComparison.Ordinal));

        // The settle check (under the lease) converges on the approved state: the approved access is back.
        var check = await _bridge.Reconciler().ReconcileAsync(Ec2, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Settle(settle.Settle!), false, default);

        Assert.True(check.Succeeded);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(approved));
        Assert.Equal(2, Ec2.Rules.Count);
    }

    [Fact]
    public async Task ReconcileAsync_NothingChangedMeanwhile_QueuesNoSettleCheckAndMakesOneTableRead()
    {
        var (approved, _, change) = await OnboardedAddAsync();

        var report = await ReconcileAsync(Ec2, change);

        Assert.True(report.Succeeded);
        Assert.Equal([approved], Ec2.Rules);
        Assert.Empty(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile));
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalWritesTheApprovedStateBeforeItDescribes()
    {
        var (_, added, _) = await OnboardedAddAsync();
        var request = ChangeRequest.Open("r-approve", TestData.Change(ChangeKind.Add, "e-approve") with { Rules = [added] }, _bridge.Time.GetUtcNow());
        var approvedBeforeDescribe = false;
        var client = new DescribeSpy(Ec2, async () =>
        {
            var group = await _bridge.Groups.GetAsync(TestData.Account, TestData.Region, Ec2.GroupId, default);
            approvedBeforeDescribe = group!.Value.RuleSet.Any(r => r.SameAccessAs(added));
        });
        request.RecordFound(Ec2.GroupId, "web", "vpc-1", [added], [], [], false, _bridge.Time.GetUtcNow());
        request.MarkReverted(new CallOutcome("revoke", true), _bridge.Time.GetUtcNow());
        request.Approve("UA", "approver", _bridge.Time.GetUtcNow());

        await _bridge.Reconciler().ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Approval(request), false, default);

        Assert.True(approvedBeforeDescribe);
    }

    private sealed class DescribeSpy(ISecurityGroupClient inner, Func<Task> onDescribe) : ISecurityGroupClient
    {
        public Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken) => inner.DescribeGroupAsync(groupId, groupName, cancellationToken);

        public async Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken)
        {
            await onDescribe();
            return await inner.DescribeRulesAsync(groupId, cancellationToken);
        }

        public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken) => inner.DescribeRegionAsync(cancellationToken);

        public Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken) => inner.DescribeNetworkInterfacesAsync(groupId, cancellationToken);

        public Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken) => inner.DescribeGroupTagsAsync(groupId, cancellationToken);

        public Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken) => inner.ExecuteAsync(write, cancellationToken);
    }
}
