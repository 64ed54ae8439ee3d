using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Faults;

/// <summary>
/// Table Storage and the queue both refusing while an add is reverted (the intake's inline run): the add is revoked by
/// rule id, nothing can be recorded or queued, the intake answers 503. EventBridge's retry, once storage is back, must
/// not record the change the bridge itself reverted as Unmatched (a forged-looking event nobody is asked about).
/// </summary>
public sealed class UnrecordedRevokeTests
{
    private static readonly SgBridge.Shared.Storage.StorageUnavailableException Refused = new("Connection refused (127.0.0.1:10001)", null);

    private readonly Bridge _bridge = new();
    private readonly UnrecordedRevokes _unrecorded;

    public UnrecordedRevokeTests() => _unrecorded = new UnrecordedRevokes(_bridge.Time, NullLogger<UnrecordedRevokes>.Instance);

    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    /// <summary>A processor as the app builds it (one per process), holding <paramref name="unrecorded"/>.</summary>
    private ChangeProcessor Processor(UnrecordedRevokes unrecorded) =>
        new(_bridge.ChangePolicy(), _bridge.Lifecycle(), _bridge.Reconciler(), Ec2, O.Create(_bridge.Processing), _bridge.Time,
            NullLogger<ChangeProcessor>.Instance, _bridge.Telemetry, _bridge.Queue, _bridge.PolicyGate(), unrecorded);

    private async Task<SecurityGroupChange> OnboardedAddAsync()
    {
        Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        return TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
    }

    private async Task RevokedWhileEverythingIsDownAsync(SecurityGroupChange change)
    {
        _bridge.Requests.Down = Refused;
        _bridge.Groups.Down = Refused;
        _bridge.Queue.FailWith = Refused;

        await Assert.ThrowsAsync<SgBridge.Shared.Storage.StorageUnavailableException>(() => Processor(_unrecorded).ProcessAsync(change, 1, default));

        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22); // revoked although nothing could be stored
        Assert.Equal(1, _unrecorded.Count);
    }

    private void StorageBack()
    {
        _bridge.Requests.Down = null;
        _bridge.Groups.Down = null;
        _bridge.Queue.FailWith = null;
    }

    [Fact]
    public async Task Retry_OnTheSameInstance_RecordsReverted_AndApproversAreAsked()
    {
        var change = await OnboardedAddAsync();
        await RevokedWhileEverythingIsDownAsync(change);
        StorageBack();

        var outcome = await Processor(_unrecorded).ProcessAsync(change, 1, default); // EventBridge's retry of the 503

        Assert.Equal(ProcessOutcome.Reverted, outcome);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Contains(request.Revert!.Notes, n => n.Contains("Table Storage was unreachable", StringComparison.Ordinal));
        Assert.Equal([change.Rules[0].RuleId], request.Rules.Select(r => r.RuleId));
    }

    [Fact]
    public async Task Retry_OnAnotherInstance_RecordsUnmatched_ThenTheHeldRevokeArrivesAndRecordsTheTruth()
    {
        var change = await OnboardedAddAsync();
        await RevokedWhileEverythingIsDownAsync(change);
        StorageBack();

        // The retry lands on an instance that made no revoke: it finds nothing to undo.
        Assert.Equal(ProcessOutcome.Unmatched, await Processor(new UnrecordedRevokes(_bridge.Time, NullLogger<UnrecordedRevokes>.Instance)).ProcessAsync(change, 1, default));
        Assert.Equal(RequestStatus.Unmatched, Assert.Single(_bridge.Requests.All).Status);

        // The instance that revoked re-sends the carried change once the queue answers.
        // (The clock moves on in the loop: the background re-send may start its wait after any one advance.)
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The held revoke was never re-sent.");
            _bridge.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        var carried = Assert.Single(_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes));
        Assert.NotNull(carried.Fallback);

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(carried, 1, default));
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal(RequestStatus.Pending, request.Status); // the run that changed AWS holds the true outcome
        Assert.Equal(0, _unrecorded.Count);
    }

    [Fact]
    public async Task ForgedRetry_ForAnotherAccount_GetsNoEvidence()
    {
        // The evidence is keyed by event id and bound to the account the revoke was made in: an event naming the same id
        // for another account (a forged or mistaken claim) is treated on its own merits.
        var change = await OnboardedAddAsync();
        await RevokedWhileEverythingIsDownAsync(change);

        var forged = change with { AccountId = "999999999999" };

        Assert.Null(_unrecorded.Attach(forged).Fallback);
        Assert.NotNull(_unrecorded.Attach(change).Fallback);
    }
}
