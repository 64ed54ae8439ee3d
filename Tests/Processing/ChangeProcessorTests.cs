using Amazon.EC2;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Processing;

public class ChangeProcessorTests
{
    private readonly InMemoryRequestStore _requests = new();
    private readonly InMemorySnapshotStore _snapshots = new();
    private readonly FakeSecurityGroupClient _ec2 = new();
    private readonly RecordingNotifier _notifier = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));

    private ChangeProcessor Processor(string exempt = "") => new(
        new ChangePolicy(
            O.Create(new PolicyOptions { AllowedAccounts = TestData.Account, ExemptPrincipalArns = exempt }),
            O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })),
        _requests, new SnapshotKeeper(_snapshots, _time), _ec2, _notifier, O.Create(new ProcessingOptions { MaxDequeueCount = 5 }), _time, NullLogger<ChangeProcessor>.Instance);

    private SecurityGroupChange UserOpensSsh()
    {
        var added = _ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        return TestData.Change(ChangeKind.Add) with { Rules = [added] };
    }

    [Fact]
    public async Task ProcessAsync_Add_RevokesTheRuleAndOpensAPendingRequest()
    {
        var approved = _ec2.AddExisting(TestData.Tcp(443, "0.0.0.0/0", "https"));
        var change = UserOpensSsh();

        var outcome = await Processor().ProcessAsync(change, 1, default);

        Assert.Equal(ProcessOutcome.Reverted, outcome);
        Assert.Equal([approved], _ec2.Rules);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(_ec2.Writes));
        Assert.Equal(change.Rules[0].RuleId, Assert.Single(write.RuleIds));
        var request = Assert.Single(_requests.All);
        Assert.Equal((RequestStatus.Pending, RequestId.For(change.EventId)), (request.Status, request.Id));
        Assert.True(request.Revert!.Succeeded);
        Assert.Equal("vpc-0abc", request.VpcId);
        Assert.Equal([(request.Id, RequestStatus.Pending)], _notifier.Seen);
        var snapshot = await _snapshots.GetAsync(TestData.Account, TestData.Region, TestData.GroupId, default);
        Assert.Equal([approved], snapshot!.Rules);
    }

    [Fact]
    public async Task ProcessAsync_Redelivered_RevertsNothingTwice()
    {
        var change = UserOpensSsh();
        await Processor().ProcessAsync(change, 1, default);
        // Someone adds the same access again under a new id; a redelivery of the old event must not touch it.
        _ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        var again = await Processor().ProcessAsync(change, 1, default);

        Assert.Equal(ProcessOutcome.AlreadyProcessed, again);
        Assert.Single(_ec2.Writes);
        Assert.Single(_requests.All);
        Assert.Single(_ec2.Rules);
    }

    [Fact]
    public async Task ProcessAsync_Remove_RestoresTheRuleWithItsDescription()
    {
        await _snapshots.SaveAsync(TestData.Snapshot(TestData.Tcp(5432, "10.1.0.0/16", "app servers", "sgr-db")), default);
        var change = TestData.Change(ChangeKind.Remove) with { RuleIds = ["sgr-db"] };

        await Processor().ProcessAsync(change, 1, default);

        var restored = Assert.Single(_ec2.Rules);
        Assert.Equal(("app servers", 5432), (restored.Description, restored.FromPort!.Value));
        Assert.Equal(RequestStatus.Pending, Assert.Single(_requests.All).Status);
        Assert.Equal(restored.RuleId, Assert.Single((await _snapshots.GetAsync(TestData.Account, TestData.Region, TestData.GroupId, default))!.Rules).RuleId);
    }

    [Fact]
    public async Task ProcessAsync_Modify_RestoresThePreviousContent()
    {
        var rule = _ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "admins"));
        await _snapshots.SaveAsync(TestData.Snapshot(rule), default);
        var opened = TestData.Tcp(22, "0.0.0.0/0", "admins");
        _ec2.Rules[0] = opened with { RuleId = rule.RuleId };
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification(rule.RuleId!, opened)] };

        await Processor().ProcessAsync(change, 1, default);

        Assert.Equal(rule, Assert.Single(_ec2.Rules));
        var request = Assert.Single(_requests.All);
        var edit = Assert.Single(request.Edits);
        Assert.Equal(("10.0.0.0/8", "0.0.0.0/0"), (edit.Before!.Source.Value, edit.After.Source.Value));
        Assert.False(request.PreviousContentUnknown);
    }

    [Fact]
    public async Task ProcessAsync_ModifyWithoutSnapshot_FailsClosedAndFlagsTheRequest()
    {
        var rule = _ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification(rule.RuleId!, rule)] };

        await Processor().ProcessAsync(change, 1, default);

        Assert.Empty(_ec2.Rules);
        var request = Assert.Single(_requests.All);
        Assert.True(request.PreviousContentUnknown);
        Assert.Equal(RequestStatus.Pending, request.Status);
    }

    [Fact]
    public async Task ProcessAsync_ExemptPrincipal_RecordsWithoutReverting()
    {
        var change = UserOpensSsh() with { Requester = TestData.AssumedRole("arn:aws:iam::111111111111:role/ci/Terraform") };

        var outcome = await Processor("arn:aws:iam::*:role/ci/*").ProcessAsync(change, 1, default);

        Assert.Equal(ProcessOutcome.Exempt, outcome);
        Assert.Empty(_ec2.Writes);
        Assert.Single(_ec2.Rules);
        var request = Assert.Single(_requests.All);
        Assert.Equal(RequestStatus.Exempt, request.Status);
        Assert.Contains("ci/*", request.ExemptReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_BridgeOwnChange_IsNeitherRevertedNorStored()
    {
        var change = UserOpensSsh() with { Requester = TestData.AssumedRole("arn:aws:iam::111111111111:role/SgBridgeExecutionRole", "sgbridge") };

        Assert.Equal(ProcessOutcome.IgnoredBridgeOwn, await Processor().ProcessAsync(change, 1, default));

        Assert.Empty(_ec2.Writes);
        Assert.Empty(_requests.All);
    }

    [Fact]
    public async Task ProcessAsync_GroupByNameInDefaultVpc_ResolvesTheId()
    {
        var change = UserOpensSsh() with { GroupId = null, GroupName = "web" };

        await Processor().ProcessAsync(change, 1, default);

        Assert.Equal(TestData.GroupId, Assert.Single(_ec2.Writes).GroupId);
        Assert.Equal(TestData.GroupId, Assert.Single(_requests.All).GroupId);
    }

    [Fact]
    public async Task ProcessAsync_GroupGone_MarksRevertFailed()
    {
        var change = UserOpensSsh();
        _ec2.GroupExists = false;

        Assert.Equal(ProcessOutcome.RevertFailed, await Processor().ProcessAsync(change, 1, default));

        var request = Assert.Single(_requests.All);
        Assert.Equal((RequestStatus.RevertFailed, "InvalidGroup.NotFound"), (request.Status, request.Revert!.ErrorCode));
    }

    [Fact]
    public async Task ProcessAsync_TransientFailure_EscapesAndTheRetrySucceeds()
    {
        var change = UserOpensSsh();
        _ec2.Throw = new AmazonEC2Exception("Rate exceeded") { ErrorCode = "RequestLimitExceeded" };
        _ec2.ThrowTimes = 1;

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => Processor().ProcessAsync(change, 1, default));
        Assert.Equal(RequestStatus.Reverting, Assert.Single(_requests.All).Status);

        Assert.Equal(ProcessOutcome.Reverted, await Processor().ProcessAsync(change, 2, default));
        Assert.Equal(RequestStatus.Pending, Assert.Single(_requests.All).Status);
        Assert.Empty(_ec2.Rules);
    }

    [Fact]
    public async Task ProcessAsync_LastTryFails_MarksRevertFailedAndRethrowsForThePoisonQueue()
    {
        var change = UserOpensSsh();
        _ec2.Throw = new AmazonEC2Exception("Rate exceeded") { ErrorCode = "RequestLimitExceeded" };
        _ec2.ThrowTimes = 10;

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => Processor().ProcessAsync(change, 5, default));

        var request = Assert.Single(_requests.All);
        Assert.Equal((RequestStatus.RevertFailed, "RequestLimitExceeded"), (request.Status, request.Revert!.ErrorCode));
        Assert.Contains("5 tries", request.Revert.Message, StringComparison.Ordinal);
        Assert.Contains((request.Id, RequestStatus.RevertFailed), _notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_RetryAfterTheRevertLanded_ConfirmsInsteadOfFailing()
    {
        // A first try revoked the rule but died before storing the outcome: the request is still Reverting.
        var change = UserOpensSsh();
        await _requests.AddOrGetAsync(ChangeRequest.Open(RequestId.For(change.EventId), change, _time.GetUtcNow()), default);
        _ec2.Rules.Clear();

        Assert.Equal(ProcessOutcome.Reverted, await Processor().ProcessAsync(change, 2, default));

        var request = Assert.Single(_requests.All);
        Assert.True(request.Revert!.Succeeded);
        Assert.Contains(request.Revert.Notes, n => n.Contains("already is as the revert wants", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessAsync_RevokeOfAnIdThatIsGone_LeavesOtherRulesWithTheSameAccessAlone()
    {
        // The event's own rule is gone already; a rule with the same access but another id belongs to another event.
        var other = _ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", null, "sgr-gone")] };

        Assert.Equal(ProcessOutcome.Reverted, await Processor().ProcessAsync(change, 1, default));
        Assert.Equal([other], _ec2.Rules);
    }

    [Fact]
    public async Task ProcessAsync_ModifyOfARuleThatVanished_IsARevertFailure()
    {
        var gone = TestData.Tcp(22, "10.0.0.0/8", "admins", "sgr-vanished");
        await _snapshots.SaveAsync(TestData.Snapshot(gone), default);
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-vanished", TestData.Tcp(22, "0.0.0.0/0"))] };

        Assert.Equal(ProcessOutcome.RevertFailed, await Processor().ProcessAsync(change, 1, default));

        var request = Assert.Single(_requests.All);
        Assert.Equal((RequestStatus.RevertFailed, "InvalidSecurityGroupRuleId.NotFound"), (request.Status, request.Revert!.ErrorCode));
    }

    [Fact]
    public async Task ProcessAsync_RevertsFirst_ThenDescribesOnce()
    {
        var change = UserOpensSsh();

        await Processor().ProcessAsync(change, 1, default);

        Assert.Equal(["ec2:RevokeSecurityGroupIngress", "describe"], _ec2.Calls);
    }

    [Fact]
    public async Task ProcessAsync_FailedRevert_DoesNotTakeASnapshotOfTheUnapprovedState()
    {
        var gone = TestData.Tcp(22, "10.0.0.0/8", "admins", "sgr-vanished");
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-vanished", TestData.Tcp(22, "0.0.0.0/0"))] };
        _ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0"));
        await _snapshots.SaveAsync(TestData.Snapshot(gone), default);

        Assert.Equal(ProcessOutcome.RevertFailed, await Processor().ProcessAsync(change, 1, default));

        var snapshot = await _snapshots.GetAsync(TestData.Account, TestData.Region, TestData.GroupId, default);
        Assert.Equal([gone], snapshot!.Rules);
    }
}
