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

    /// <summary>An approved request for <paramref name="rules"/> (reverted, then approved), as the apply sees it.</summary>
    private ChangeRequest Approved(ChangeKind kind, params SecurityGroupRule[] rules)
    {
        var request = ChangeRequest.Open("r-" + Guid.NewGuid().ToString("n"), TestData.Change(kind, Guid.NewGuid().ToString()) with { Rules = rules }, _bridge.Time.GetUtcNow());
        request.RecordFound(Ec2.GroupId, "web", "vpc-1", rules, [], [], false, _bridge.Time.GetUtcNow());
        request.MarkReverted(new CallOutcome("revoke", true), _bridge.Time.GetUtcNow());
        request.Approve("UA", "approver", _bridge.Time.GetUtcNow());
        return request;
    }

    private Task<ReconcileReport> ApproveAsync(ChangeRequest request, ISecurityGroupClient? client = null) =>
        _bridge.Reconciler().ReconcileAsync(client ?? Ec2, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Approval(request), false, default);

    /// <summary>The one settle check an approval queued, checked to wait one settle delay.</summary>
    private ReconcileCommand ApprovalSettle()
    {
        var (queue, json, delay) = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal(QueueNames.Reconcile, queue);
        Assert.Equal(_bridge.Reconcile.SettleDelay, delay);
        return BridgeJson.Deserialize<ReconcileCommand>(json);
    }

    private Task<ReconcileReport> SettleAsync(ReconcileCommand command) =>
        _bridge.Reconciler().ReconcileAsync(Ec2, TestData.Account, TestData.Region, command.GroupId!, new ReconcileScope.Settle(command.Settle!), false, default);

    [Fact]
    public async Task ReconcileAsync_ApprovalLandsBetweenReadAndRevoke_ApprovalSideSettleCheckGivesTheAccessBack()
    {
        var (approved, added, change) = await OnboardedAddAsync();
        var reads = new CountingGroups(_bridge.Groups);
        var reconciler = new GroupReconciler(reads, _bridge.Queue, Microsoft.Extensions.Options.Options.Create(_bridge.Reconcile),
            Microsoft.Extensions.Options.Options.Create(_bridge.Policy), _bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<GroupReconciler>.Instance);
        var client = new HookedClient(Ec2);
        ReconcileReport? approval = null;
        // The whole approval (write, describe: the rule is still there, nothing to do) runs after this event read the
        // approved state and before its revoke.
        client.BeforeWrite = async _ => approval = await ApproveAsync(Approved(ChangeKind.Add, added));

        var report = await reconciler.ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Event(change, false), false, default);

        Assert.True(report.Succeeded);
        Assert.True(approval!.Succeeded);
        Assert.Empty(approval.Acted); // the approval saw its access in place
        Assert.DoesNotContain(Ec2.Rules, r => r.SameAccessAs(added)); // and the event revoked it, although approved meanwhile
        Assert.Equal(1, reads.Gets); // the event read the approved state once: no re-read
        Assert.Empty(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile)); // the event queued nothing
        var settle = ApprovalSettle(); // the approval did, a settle delay ahead
        Assert.Equal(Ec2.GroupId, settle.GroupId);

        // The approval's settle check (under the lease) converges on the approved state: the approved access is back.
        var check = await SettleAsync(settle);

        Assert.True(check.Succeeded);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(approved));
        Assert.Equal(2, Ec2.Rules.Count);
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalSettleCheckWithoutARace_ChangesNothing()
    {
        var (approved, added, _) = await OnboardedAddAsync();
        Ec2.Rules.RemoveAll(r => r.RuleId == added.RuleId); // reverted earlier

        var report = await ApproveAsync(Approved(ChangeKind.Add, added));
        var settle = ApprovalSettle();
        var writes = Ec2.Writes.Count;
        var check = await SettleAsync(settle);

        Assert.True(report.Succeeded);
        Assert.True(check.Succeeded);
        Assert.Empty(check.Acted);
        Assert.Equal(writes, Ec2.Writes.Count);
        Assert.Equal(2, Ec2.Rules.Count);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(approved));
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalSettleCheck_LeavesUnapprovedAccessItDoesNotNameToItsOwnEvent()
    {
        var (_, added, _) = await OnboardedAddAsync();
        await ApproveAsync(Approved(ChangeKind.Add, added));
        var settle = ApprovalSettle();
        Ec2.Rules.RemoveAll(r => r.RuleId == added.RuleId); // the racing event's revoke
        var other = Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0", "unrelated")); // someone else's change, its event still on its way

        var check = await SettleAsync(settle);

        Assert.True(check.Succeeded);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(added)); // approved: given back
        Assert.Contains(Ec2.Rules, r => r.RuleId == other.RuleId); // not this check's business: deferred, not touched
        Assert.Contains(check.Deferred, i => i.Live?.RuleId == other.RuleId);
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalOfARemoval_QueuesNoSettleCheck()
    {
        var (approved, added, _) = await OnboardedAddAsync();
        Ec2.Rules.RemoveAll(r => r.RuleId == added.RuleId); // nothing else differs (an unexplained rule would be deferred)

        var report = await ApproveAsync(Approved(ChangeKind.Remove, approved));

        Assert.True(report.Succeeded);
        Assert.DoesNotContain(Ec2.Rules, r => r.SameAccessAs(approved));
        Assert.DoesNotContain(_bridge.Queue.Delayed, d => d.Json.Contains("missing:", StringComparison.Ordinal)); // nothing given to give back
    }

    [Fact]
    public async Task ReconcileAsync_ApprovalThatFails_QueuesNoSettleCheck()
    {
        var (_, added, _) = await OnboardedAddAsync();
        Ec2.Rules.RemoveAll(r => r.RuleId == added.RuleId);
        var denied = new HookedClient(Ec2) { Answer = (w, _) => new CallOutcome(w.Describe(), false, "UnauthorizedOperation", "denied") };

        var report = await ApproveAsync(Approved(ChangeKind.Add, added), denied);

        Assert.False(report.Succeeded); // the apply ends ApplyFailed, visibly; no settle check to turn it into drift
        Assert.Empty(_bridge.Queue.Sent);
        Assert.Empty(_bridge.Queue.Delayed);
    }

    [Fact]
    public async Task ReconcileAsync_SlowRevokeAfterAnApproval_ReReadsAndQueuesASettleCheckAtOnce()
    {
        var (approved, added, change) = await OnboardedAddAsync();
        var reads = new CountingGroups(_bridge.Groups);
        var reconciler = new GroupReconciler(reads, _bridge.Queue, Microsoft.Extensions.Options.Options.Create(_bridge.Reconcile),
            Microsoft.Extensions.Options.Options.Create(_bridge.Policy), _bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<GroupReconciler>.Instance);
        var client = new HookedClient(Ec2);
        // The approval lands, its settle check is queued — and this event's revoke takes longer than half the settle
        // delay, so that check might run before it: the event must look for itself.
        client.BeforeWrite = async _ =>
        {
            await ApproveAsync(Approved(ChangeKind.Add, added));
            _bridge.Time.Advance(_bridge.Reconcile.SettleDelay / 2 + TimeSpan.FromSeconds(1));
        };

        var report = await reconciler.ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Event(change, false), false, default);

        Assert.True(report.Succeeded);
        Assert.Equal(2, reads.Gets);
        Assert.Contains(report.Outcome.Notes, n => n.Contains("approved state", StringComparison.Ordinal));
        ApprovalSettle(); // the approval's, a settle delay ahead
        var eventSettle = Assert.Single(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile)); // and the event's, at once

        var check = await SettleAsync(eventSettle);

        Assert.True(check.Succeeded);
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(added));
        Assert.Contains(Ec2.Rules, r => r.SameAccessAs(approved));
    }

    [Fact]
    public async Task ReconcileAsync_RevokeJustWithinTheBudget_DoesNotReRead()
    {
        var (_, _, change) = await OnboardedAddAsync();
        var reads = new CountingGroups(_bridge.Groups);
        var reconciler = new GroupReconciler(reads, _bridge.Queue, Microsoft.Extensions.Options.Options.Create(_bridge.Reconcile),
            Microsoft.Extensions.Options.Options.Create(_bridge.Policy), _bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<GroupReconciler>.Instance);
        var client = new HookedClient(Ec2) { BeforeWrite = _ => { _bridge.Time.Advance(_bridge.Reconcile.SettleDelay / 2); return Task.CompletedTask; } };

        var report = await reconciler.ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Event(change, false), false, default);

        Assert.True(report.Succeeded);
        Assert.Equal(1, reads.Gets);
    }

    [Fact]
    public async Task ReconcileAsync_SettleDelayZero_AlwaysReReads()
    {
        _bridge.Reconcile.SettleDelay = TimeSpan.Zero; // the approval's check runs at once: it cannot wait for a revoke in flight
        var (_, _, change) = await OnboardedAddAsync();
        var reads = new CountingGroups(_bridge.Groups);
        var reconciler = new GroupReconciler(reads, _bridge.Queue, Microsoft.Extensions.Options.Options.Create(_bridge.Reconcile),
            Microsoft.Extensions.Options.Options.Create(_bridge.Policy), _bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<GroupReconciler>.Instance);
        var client = new HookedClient(Ec2) { BeforeWrite = _ => { _bridge.Time.Advance(TimeSpan.FromTicks(1)); return Task.CompletedTask; } };

        var report = await reconciler.ReconcileAsync(client, TestData.Account, TestData.Region, Ec2.GroupId, new ReconcileScope.Event(change, false), false, default);

        Assert.True(report.Succeeded);
        Assert.Equal(2, reads.Gets);
        Assert.Empty(_bridge.Queue.On<ReconcileCommand>(QueueNames.Reconcile)); // nothing moved: no settle check
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

    /// <summary>Counts point reads of the approved state.</summary>
    private sealed class CountingGroups(IGroupStateStore inner) : IGroupStateStore
    {
        public int Gets;

        public Task<Stored<ApprovedGroup>?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Gets);
            return inner.GetAsync(accountId, region, groupId, cancellationToken);
        }

        public Task<(Stored<ApprovedGroup> Group, bool Created)> AddOrGetAsync(ApprovedGroup group, CancellationToken cancellationToken) => inner.AddOrGetAsync(group, cancellationToken);

        public Task<string> ReplaceAsync(ApprovedGroup group, string etag, CancellationToken cancellationToken) => inner.ReplaceAsync(group, etag, cancellationToken);

        public Task UpsertAsync(ApprovedGroup group, CancellationToken cancellationToken) => inner.UpsertAsync(group, cancellationToken);

        public IAsyncEnumerable<ApprovedGroup> ListAsync(string accountId, string region, CancellationToken cancellationToken) => inner.ListAsync(accountId, region, cancellationToken);

        public Task<GroupLease?> TryAcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken) =>
            inner.TryAcquireLeaseAsync(accountId, region, groupId, owner, now, duration, cancellationToken);

        public Task ReleaseLeaseAsync(GroupLease lease, CancellationToken cancellationToken) => inner.ReleaseLeaseAsync(lease, cancellationToken);
    }
}
