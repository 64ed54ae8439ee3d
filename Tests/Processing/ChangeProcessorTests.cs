using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

/// <summary>The event worker over fakes: reconcile against the approved state, never replay the event.</summary>
public class ChangeProcessorTests
{
    private readonly Bridge _bridge = new();
    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    private static SecurityGroupChange Change(ChangeKind kind, string? eventId = null) =>
        TestData.Change(kind, eventId ?? Guid.NewGuid().ToString(), TestData.SsoUser());

    private static SecurityGroupChange Add(SecurityGroupRule rule, string? eventId = null) => Change(ChangeKind.Add, eventId) with { Rules = [rule] };

    private static SecurityGroupChange Remove(SecurityGroupRule rule) => Change(ChangeKind.Remove) with { Rules = [rule with { RuleId = null }], RuleIds = rule.RuleId is null ? [] : [rule.RuleId] };

    private static SecurityGroupChange Modify(string ruleId, SecurityGroupRule after) => Change(ChangeKind.Modify) with { Modifications = [new RuleModification(ruleId, after)] };

    private Task<ProcessOutcome> ProcessAsync(SecurityGroupChange change, long dequeue = 1) => _bridge.Processor().ProcessAsync(change, dequeue, default);

    /// <summary>Runs the settle checks waiting on the queue, as the reconcile queue's function would.</summary>
    private async Task SettleAsync()
    {
        while (_bridge.Queue.Delayed.TryDequeue(out var item))
        {
            await _bridge.Sweeps().HandleAsync(Assert.IsType<SettleGroup>(BridgeJson.Deserialize<ReconcileMessage>(item.Json)), default);
        }
    }

    private async Task<SecurityGroupRule> OnboardWithAsync(SecurityGroupRule rule)
    {
        var added = Ec2.AddExisting(rule);
        await _bridge.OnboardAsync();
        return added;
    }

    [Fact]
    public async Task ProcessAsync_Add_RevokesByIdWithOneDescribeAndOneWrite_AndOpensAPendingRequest()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "0.0.0.0/0", "https"));
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        Ec2.Calls.Clear();

        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(Add(added)));

        Assert.Equal([approved], Ec2.Rules);
        Assert.Equal(["describe-rules", "ec2:RevokeSecurityGroupIngress"], Ec2.Calls);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(Ec2.Writes));
        Assert.Equal([added.RuleId!], write.RuleIds);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(added, Assert.Single(request.Rules));
        Assert.Equal([approved with { RuleId = approved.RuleId }], await _bridge.ApprovedAsync());
    }

    [Fact]
    public async Task ProcessAsync_Redelivered_DoesNothingTwice()
    {
        await OnboardWithAsync(TestData.Tcp(443, "0.0.0.0/0"));
        var change = Add(Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0")));
        await ProcessAsync(change);
        Ec2.Calls.Clear();

        Assert.Equal(ProcessOutcome.AlreadyProcessed, await ProcessAsync(change));
        // Write-once: the redelivery reconciles again (one describe, nothing left to undo) and its insert finds the row.
        Assert.Equal(["describe-rules"], Ec2.Calls);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal(RequestStatus.Pending, request.Status);
    }

    [Fact]
    public async Task ProcessAsync_ForgedAddOfAnApprovedRule_LeavesItAndSaysTheEventDidNotMatch()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8", "https"));

        Assert.Equal(ProcessOutcome.Unmatched, await ProcessAsync(Add(approved)));

        Assert.Equal([approved], Ec2.Rules);
        Assert.Empty(Ec2.Writes);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal(RequestStatus.Unmatched, request.Status);
        Assert.Contains("did not match the group", request.Revert!.Message, StringComparison.Ordinal);
        Assert.Contains((request.Id, RequestStatus.Unmatched), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_ForgedRemoveOfARuleNeverThere_OpensNothing()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));

        Assert.Equal(ProcessOutcome.Unmatched, await ProcessAsync(Remove(TestData.Tcp(22, "0.0.0.0/0"))));

        Assert.Equal([approved], Ec2.Rules);
        Assert.Empty(Ec2.Writes);
    }

    [Fact]
    public async Task ProcessAsync_RemoveOfAnApprovedRule_RestoresItWithItsDescription()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(22, "10.0.0.0/8", "ssh from office"));
        Ec2.Rules.Clear();

        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(Remove(approved)));

        var restored = Assert.Single(Ec2.Rules);
        Assert.True(restored.SameContentAs(approved));
        Assert.Equal(RequestStatus.Pending, Assert.Single(_bridge.Requests.All).Status);
    }

    [Fact]
    public async Task ProcessAsync_ModifyWithNoEarlierEvent_IsRestoredExactlyFromTheBaseline()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8", "https from vpc"));
        var opened = TestData.Tcp(443, "0.0.0.0/0", "oops");
        Ec2.Rules[0] = opened with { RuleId = approved.RuleId };

        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(Modify(approved.RuleId!, opened)));

        Assert.Equal([approved], Ec2.Rules);
        var edit = Assert.Single(Assert.Single(_bridge.Requests.All).Edits);
        Assert.True(edit.Before!.SameContentAs(approved));
        Assert.True(edit.After.SameContentAs(opened));
        Assert.IsType<ModifyRules>(Assert.Single(Ec2.Writes));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProcessAsync_EditThenAdd_InEitherOrder_EndsAtTheApprovedState(bool addFirst)
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8", "https"));
        var edited = TestData.Tcp(443, "0.0.0.0/0", "https");
        Ec2.Rules[0] = edited with { RuleId = approved.RuleId };
        var edit = Modify(approved.RuleId!, edited);
        var add = Add(Ec2.AddExisting(TestData.Tcp(8080, "0.0.0.0/0")));

        foreach (var change in addFirst ? new[] { add, edit } : [edit, add])
        {
            Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(change));
        }

        Assert.Equal([approved], Ec2.Rules);
        Assert.All(_bridge.Requests.All, r => Assert.Equal(RequestStatus.Pending, r.Status));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProcessAsync_AddThenRemove_InEitherOrder_LeavesTheRuleOut(bool removeFirst)
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var rule = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        var add = Add(rule);
        Ec2.Rules.Remove(rule); // the user removed it again
        var remove = Remove(rule);

        foreach (var change in removeFirst ? new[] { remove, add } : [add, remove])
        {
            await ProcessAsync(change);
        }

        Assert.Equal([approved], Ec2.Rules);
        Assert.DoesNotContain(Ec2.Writes, w => w is AuthorizeIngress);
        Assert.All(_bridge.Requests.All, r => Assert.Equal(RequestStatus.Unmatched, r.Status));
    }

    [Fact]
    public async Task ProcessAsync_DifferencesTheEventDoesNotClaim_AreLeftForASettleCheck()
    {
        await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var claimed = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        var other = Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0"));

        await ProcessAsync(Add(claimed));

        Assert.Contains(other, Ec2.Rules);
        Assert.DoesNotContain(claimed, Ec2.Rules);
        var (queue, json, delay) = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal((QueueNames.Reconcile, TimeSpan.FromSeconds(60)), (queue, delay));
        var settle = Assert.IsType<SettleGroup>(BridgeJson.Deserialize<ReconcileMessage>(json));
        Assert.Equal([$"unapproved:{other.RuleId}"], settle.Differences);
    }

    [Fact]
    public async Task ProcessAsync_ABurstOnOneGroup_QueuesOneSettleCheckForTheSameUnexplainedDifferences()
    {
        await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var stray = Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0")); // no event for it arrives
        var reconciler = _bridge.Reconciler();
        var processor = new ChangeProcessor(_bridge.ChangePolicy(), _bridge.Lifecycle(), reconciler, Ec2,
            Microsoft.Extensions.Options.Options.Create(_bridge.Processing), _bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<ChangeProcessor>.Instance,
            _bridge.Telemetry, _bridge.Queue, _bridge.PolicyGate(), new SgBridge.Shared.Aws.UnrecordedRevokes(_bridge.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<SgBridge.Shared.Aws.UnrecordedRevokes>.Instance));

        foreach (var port in new[] { 8001, 8002, 8003, 8004 })
        {
            await processor.ProcessAsync(Add(Ec2.AddExisting(TestData.Tcp(port, "10.8.0.0/16"))), 1, default);
        }

        var settle = Assert.IsType<SettleGroup>(BridgeJson.Deserialize<ReconcileMessage>(Assert.Single(_bridge.Queue.Delayed).Json));
        Assert.Equal([$"unapproved:{stray.RuleId}"], settle.Differences);
        _bridge.Time.Advance(TimeSpan.FromSeconds(61)); // once that check is due, a new one may be queued
        await processor.ProcessAsync(Add(Ec2.AddExisting(TestData.Tcp(8005, "10.8.0.0/16"))), 1, default);
        Assert.Equal(2, _bridge.Queue.Delayed.Count);
    }

    [Fact]
    public async Task ProcessAsync_ExemptPrincipal_IsAdoptedAsFarAsTheGroupConfirms()
    {
        _bridge.Policy.ExemptPrincipalArns = "arn:aws:iam::111111111111:role/pipeline";
        await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var added = Ec2.AddExisting(TestData.Tcp(8443, "10.1.0.0/16", "lb"));
        var change = Add(added) with { Requester = TestData.AssumedRole("arn:aws:iam::111111111111:role/pipeline") };

        Assert.Equal(ProcessOutcome.Exempt, await ProcessAsync(change));

        Assert.Contains(added, Ec2.Rules);
        Assert.Empty(Ec2.Writes);
        Assert.Contains(await _bridge.ApprovedAsync(), r => r.SameContentAs(added));
    }

    [Fact]
    public async Task ProcessAsync_ForgedExemptEvent_AdoptsNothing()
    {
        _bridge.Policy.ExemptPrincipalArns = "arn:aws:iam::111111111111:role/pipeline";
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var claimed = TestData.Tcp(22, "0.0.0.0/0", ruleId: "sgr-0123456789abcdef1");
        var change = Add(claimed) with { Requester = TestData.AssumedRole("arn:aws:iam::111111111111:role/pipeline") };

        Assert.Equal(ProcessOutcome.Exempt, await ProcessAsync(change));

        Assert.Equal([approved], await _bridge.ApprovedAsync());
        Assert.Equal([approved], Ec2.Rules);
    }

    [Fact]
    public async Task ProcessAsync_AccountNotAllowed_IsRefusedBeforeAnyAwsCall()
    {
        var change = Add(TestData.Tcp(22, "0.0.0.0/0")) with { AccountId = "999999999999" };

        Assert.Equal(ProcessOutcome.Refused, await ProcessAsync(change));

        Assert.Empty(Ec2.Calls);
        Assert.Empty(_bridge.Requests.All);
    }

    [Fact]
    public async Task ProcessAsync_UnknownGroupWithAdopt_AdoptsEverythingButTheClaim()
    {
        var existing = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(Add(added)));

        Assert.Equal([existing], Ec2.Rules);
        Assert.Contains(Assert.Single(_bridge.Requests.All).Revert!.Notes, n => n.StartsWith("First sight", StringComparison.Ordinal));
        Assert.Null(await _bridge.Groups.GetAsync(TestData.Account, TestData.Region, Ec2.GroupId, default)); // not yet: a burst may still be arriving

        await SettleAsync();
        Assert.Equal([existing], await _bridge.ApprovedAsync());
    }

    [Fact]
    public async Task ProcessAsync_UnknownGroupWithEnforce_StartsEmpty()
    {
        _bridge.Reconcile.UnknownGroups = UnknownGroupPolicy.Enforce;
        var existing = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        await ProcessAsync(Add(added));
        Assert.Equal([existing], Ec2.Rules); // the claim now; the rest after the settle delay

        await SettleAsync(); // first sight: no approved rules; the rest is a difference, checked once more
        Assert.Empty(await _bridge.ApprovedAsync());
        await SettleAsync();
        Assert.Empty(Ec2.Rules);
        Assert.Equal(RequestStatus.Pending, Assert.Single(_bridge.Requests.All, r => r.Requester.Type == SgBridge.Shared.Domain.PrincipalType.Unknown).Status);
    }

    [Fact]
    public async Task ProcessAsync_GroupGone_IsUnmatchedWithTheReason()
    {
        await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        Ec2.GroupExists = false;

        Assert.Equal(ProcessOutcome.Unmatched, await ProcessAsync(Add(TestData.Tcp(22, "0.0.0.0/0", ruleId: "sgr-0000000000000000a"))));

        Assert.Empty(Ec2.Writes);
        Assert.Equal(RequestStatus.Unmatched, Assert.Single(_bridge.Requests.All).Status);
    }

    [Fact]
    public async Task ProcessAsync_BurstOnANewGroup_TheFirstSightDoesNotAdoptTheOtherChangesOfTheBurst()
    {
        var existing = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        var changes = new[] { 8001, 8002, 8003 }.Select(p => Add(Ec2.AddExisting(TestData.Tcp(p, "10.8.0.0/16")))).ToArray();
        _bridge.Time.Advance(TimeSpan.FromSeconds(5)); // the events are handled after the changes were made

        foreach (var change in changes)
        {
            Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(change));
        }

        Assert.Equal([existing], Ec2.Rules);
        await SettleAsync();
        Assert.Equal([existing], await _bridge.ApprovedAsync());
    }

    [Fact]
    public async Task ProcessAsync_LastTryFails_MarksRevertFailedAndRethrowsForThePoisonQueue()
    {
        await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var change = Add(Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0")));
        Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        Ec2.ThrowTimes = 10;

        await Assert.ThrowsAsync<AwsServiceException>(() => ProcessAsync(change, dequeue: 1));
        Assert.Empty(_bridge.Requests.All); // write-once: nothing is recorded until the outcome is known
        await Assert.ThrowsAsync<AwsServiceException>(() => ProcessAsync(change, dequeue: 5));

        var request = _bridge.Request(change);
        Assert.Equal((RequestStatus.RevertFailed, "RequestLimitExceeded"), (request.Status, request.Revert!.ErrorCode));
        Assert.Contains((request.Id, RequestStatus.RevertFailed), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_MemberRoleNotDeployed_FailsTheRequestAtOnceWithTheReason()
    {
        var change = Add(TestData.Tcp(22, "0.0.0.0/0", ruleId: "sgr-0000000000000000b"));
        var bridge = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = new RoleNotAssumableException(TestData.Account, "arn:aws:iam::111111111111:role/SgBridgeExecutionRole", new InvalidOperationException("AccessDenied")) } };

        Assert.Equal(ProcessOutcome.RevertFailed, await bridge.Processor().ProcessAsync(change, 1, default));

        var request = bridge.Request(change);
        Assert.Equal((RequestStatus.RevertFailed, "RoleNotDeployed"), (request.Status, request.Revert!.ErrorCode));
        Assert.Contains("not deployed", request.Revert.Message, StringComparison.Ordinal);
        Assert.Contains((request.Id, RequestStatus.RevertFailed), bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_GroupHeldByAnotherWorker_IsRetriedLater()
    {
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        Ec2.Rules.Clear(); // someone removed the approved rule: undoing it gives access back, which needs the lease
        var change = Remove(approved);
        var held = await _bridge.Groups.TryAcquireLeaseAsync(TestData.Account, TestData.Region, Ec2.GroupId, "other", _bridge.Time.GetUtcNow(), TimeSpan.FromSeconds(60), default);
        Assert.NotNull(held);

        await Assert.ThrowsAsync<GroupBusyException>(() => ProcessAsync(change));
        Assert.Empty(Ec2.Writes);

        _bridge.Time.Advance(TimeSpan.FromSeconds(61)); // the other worker died: its lease lapses
        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(change));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)] // the last try: a busy group is not a failure to record, and the change is not given up
    public async Task ProcessQueuedAsync_GroupHeldByAnotherWorker_IsSentAgainForLater_NotFailed(long dequeueCount)
    {
        _bridge.Reconcile.LeaseWait = TimeSpan.Zero;
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        Ec2.Rules.Clear();
        var change = Remove(approved);
        Assert.NotNull(await _bridge.Groups.TryAcquireLeaseAsync(TestData.Account, TestData.Region, Ec2.GroupId, "other", _bridge.Time.GetUtcNow(), TimeSpan.FromSeconds(60), default));

        Assert.Equal(ProcessOutcome.SentAgainBusy, await _bridge.Processor().ProcessQueuedAsync(change, dequeueCount, default));

        var again = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal((QueueNames.Changes, ChangeProcessor.BusyRetryDelay), (again.Queue, again.Delay));
        Assert.Equal(change.EventId, BridgeJson.Deserialize<SecurityGroupChange>(again.Json)!.EventId);
        Assert.Empty(Ec2.Writes);
        Assert.Empty(_bridge.Requests.All); // nothing recorded as failed: the change is still to do

        _bridge.Time.Advance(TimeSpan.FromSeconds(61)); // the holder's lease lapses; the copy sent again does the work
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessQueuedAsync(BridgeJson.Deserialize<SecurityGroupChange>(again.Json)!, 1, default));
        Assert.Equal([approved.AccessKey], Ec2.Rules.Select(r => r.AccessKey)); // given back (a new rule id)
    }

    [Fact]
    public async Task ProcessAsync_TwoEventsOnOneGroupAtOnce_EndAtTheApprovedState()
    {
        _bridge.Reconcile.LeaseWait = TimeSpan.FromMinutes(5);
        var approved = await OnboardWithAsync(TestData.Tcp(443, "10.0.0.0/8"));
        var a = Add(Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0")));
        var b = Add(Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0")));

        // The one that finds the lease taken waits for it on the bridge's (fake) clock: move the clock while they run, or
        // that wait never ends (it hung whenever the two collided).
        var both = Task.WhenAll(Task.Run(() => ProcessAsync(a)), Task.Run(() => ProcessAsync(b)));
        while (!both.IsCompleted)
        {
            _bridge.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(both, Task.Delay(5));
        }
        var results = await both;

        Assert.Equal([approved], Ec2.Rules);
        Assert.All(results, r => Assert.True(r is ProcessOutcome.Reverted or ProcessOutcome.Unmatched));
        Assert.Equal(2, _bridge.Requests.All.Count);
    }

    [Fact]
    public async Task ProcessAsync_EgressEvent_WithPoliceEgress_RevokesTheOutboundRule()
    {
        _bridge.Policy.PoliceEgress = true;
        var egressOk = await OnboardWithAsync(TestData.Tcp(443, "0.0.0.0/0") with { Egress = true });
        var opened = Ec2.AddExisting(TestData.Tcp(25, "0.0.0.0/0") with { Egress = true });
        var change = Add(opened) with { Direction = RuleDirection.Egress, EventName = "AuthorizeSecurityGroupEgress" };

        Assert.Equal(ProcessOutcome.Reverted, await ProcessAsync(change));

        Assert.Equal([egressOk], Ec2.Rules);
        Assert.IsType<RevokeEgressByIds>(Assert.Single(Ec2.Writes));
    }
}
