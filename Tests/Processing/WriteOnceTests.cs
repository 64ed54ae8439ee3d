using Azure;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Faults;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

/// <summary>The request is written once, after the reconcile, with its outcome; what happens when that write cannot land.</summary>
public sealed class WriteOnceTests : IDisposable
{
    private readonly Bridge _bridge = new();
    private readonly FailureCounter _failures;

    public WriteOnceTests() => _failures = new FailureCounter(_bridge.Telemetry);

    public void Dispose() => _failures.Dispose();

    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    private async Task<SecurityGroupChange> OnboardedAddAsync()
    {
        Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        return TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
    }

    [Fact]
    public async Task ProcessAsync_Revert_WritesTheRequestOnceWithItsOutcome()
    {
        var change = await OnboardedAddAsync();

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.Equal(1, _bridge.Requests.Writes);
        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(change.Rules[0].RuleId, Assert.Single(request.Rules).RuleId);
        Assert.Contains((request.Id, RequestStatus.Pending), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_InsertFailsAfterTheRevoke_CarriesTheOutcomeForwardAndTheLaterRunRecordsReverted()
    {
        var change = await OnboardedAddAsync();
        _bridge.Requests.Down = new SgBridge.Shared.Storage.StorageUnavailableException("Server busy", null);

        Assert.Equal(ProcessOutcome.RevokedWithoutStorage, await _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22);
        Assert.Empty(_bridge.Requests.All);
        Assert.Equal(1, _failures.Count("storage", QueueNames.Changes));
        var forwarded = Assert.Single(_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes));
        Assert.Equal([change.Rules[0].RuleId!], forwarded.Fallback!.RuleIds);

        _bridge.Requests.Down = null;
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(forwarded, 1, default));

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Single(Ec2.Writes); // revoked once
    }

    [Fact]
    public async Task ProcessAsync_RetryAfterADeathBetweenRevokeAndInsert_RecordsUnmatchedSaysSoAndCounts()
    {
        var change = await OnboardedAddAsync();
        await _bridge.Reconciler().ReconcileAsync(Ec2, TestData.Account, TestData.Region, Ec2.GroupId,
            new Shared.Reconcile.ReconcileScope.Event(change, false), false, default); // the first try's revoke; then it died

        Assert.Equal(ProcessOutcome.Unmatched, await _bridge.Processor().ProcessAsync(change, 2, default));

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Unmatched, request.Status);
        Assert.Contains("try 2", request.Revert!.Message, StringComparison.Ordinal);
        Assert.Contains("between its revoke and this record", request.Revert.Message, StringComparison.Ordinal);
        Assert.Equal(1, _failures.Count("outcome_uncertain"));
    }

    [Fact]
    public async Task ProcessAsync_TwoRunsOfOneEventAtOnce_RevokeOnceAndRecordOnce()
    {
        var change = await OnboardedAddAsync();

        // A run that finds the group's lease held is refused (GroupBusyException) and delivered again, as the queue does.
        async Task<ProcessOutcome> RunAsTheQueueDoes()
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await _bridge.Processor().ProcessAsync(change, 1, default);
                }
                catch (GroupBusyException) when (attempt < 50)
                {
                    await Task.Delay(20);
                }
            }
        }

        var outcomes = await Task.WhenAll(Task.Run(RunAsTheQueueDoes), Task.Run(RunAsTheQueueDoes));

        Assert.Contains(ProcessOutcome.Reverted, outcomes);
        Assert.All(outcomes, o => Assert.True(o is ProcessOutcome.Reverted or ProcessOutcome.AlreadyProcessed or ProcessOutcome.Unmatched, o.ToString()));
        Assert.Single(_bridge.Requests.All);
        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22);
        // Whichever run recorded first, the request ends as the revert (waiting for approvers), never as "unmatched".
        Assert.Equal(RequestStatus.Pending, _bridge.Request(change).Status);
        Assert.Equal(0, _failures.Count("outcome_lost"));
    }

    [Fact]
    public async Task ProcessAsync_AnotherRunRecordedUnmatchedBetweenThisRevokeAndItsInsert_ThisRunsRevertIsRecorded()
    {
        var change = await OnboardedAddAsync();
        // The other run of the same event described after this run's revoke (nothing to undo) and inserted first.
        var unmatched = ChangeRequest.Open(RequestId.For(change.EventId), change, _bridge.Time.GetUtcNow());
        unmatched.MarkUnmatched(new CallOutcome("DescribeSecurityGroupRules", true, Message: "nothing to undo"), _bridge.Time.GetUtcNow());
        await _bridge.Requests.AddOrGetAsync(unmatched, default);

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.True(request.Revert!.Succeeded);
        Assert.Equal(change.Rules[0].RuleId, Assert.Single(request.Rules).RuleId);
        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22);
        Assert.Contains((request.Id, RequestStatus.Pending), _bridge.Notifier.Seen);
        Assert.Equal(0, _failures.Count("outcome_lost"));
    }

    [Fact]
    public async Task ProcessAsync_UnmatchedRunAfterTheRevertWasRecorded_LeavesTheRevertStanding()
    {
        var change = await OnboardedAddAsync();
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));

        // A duplicate delivery that finds nothing to undo must not overwrite the recorded revert.
        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.Equal(RequestStatus.Pending, _bridge.Request(change).Status);
        Assert.Single(Ec2.Writes);
    }

    [Fact]
    public async Task ProcessAsync_ARowLeftReverting_GetsTheOutcome()
    {
        var change = await OnboardedAddAsync();
        // A row an earlier version (or the poison reader) opened as Reverting before the outcome was known.
        await _bridge.Requests.AddOrGetAsync(ChangeRequest.Open(RequestId.For(change.EventId), change, _bridge.Time.GetUtcNow()), default);

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.Equal(RequestStatus.Pending, _bridge.Request(change).Status);
    }
}
