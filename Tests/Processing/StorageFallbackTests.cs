using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Faults;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

/// <summary>Table Storage down in the worker: an add is still revoked by rule id and recorded later; anything else waits.</summary>
public sealed class StorageFallbackTests : IDisposable
{
    private static readonly StorageUnavailableException Refused = new("Connection refused (127.0.0.1:10002)", null);

    private readonly Bridge _bridge = new();
    private readonly FailureCounter _failures;

    public StorageFallbackTests() => _failures = new FailureCounter(_bridge.Telemetry);

    public void Dispose() => _failures.Dispose();

    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    private void StorageDown(Exception? error = null)
    {
        _bridge.Requests.Down = error ?? Refused;
        _bridge.Groups.Down = error ?? Refused;
    }

    private void StorageUp()
    {
        _bridge.Requests.Down = null;
        _bridge.Groups.Down = null;
    }

    private async Task<SecurityGroupChange> OnboardedAddAsync()
    {
        Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "temp"));
        return TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
    }

    [Fact]
    public async Task ProcessAsync_AddWithStorageDown_RevokesByIdCountsAndRequeuesTheOutcome()
    {
        var change = await OnboardedAddAsync();
        StorageDown();

        Assert.Equal(ProcessOutcome.RevokedWithoutStorage, await _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(Ec2.Writes));
        Assert.Equal([change.Rules[0].RuleId!], write.RuleIds);
        Assert.Empty(_bridge.Requests.All);
        var forwarded = Assert.Single(_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes));
        Assert.Equal([change.Rules[0].RuleId!], forwarded.Fallback!.RuleIds);
        Assert.Equal(1, _failures.Count("storage", QueueNames.Changes));
    }

    [Fact]
    public async Task ProcessAsync_ForwardedAfterStorageIsBack_RecordsTheRequestAsRevertedNotUnmatched()
    {
        var change = await OnboardedAddAsync();
        StorageDown();
        await _bridge.Processor().ProcessAsync(change, 1, default);
        StorageUp();
        var forwarded = Assert.Single(_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes));
        Ec2.Writes.Clear();

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(forwarded, 1, default));

        Assert.Empty(Ec2.Writes);
        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(22, Assert.Single(request.Rules).FromPort);
        Assert.Contains(request.Revert!.Notes, n => n.Contains("Table Storage was unreachable", StringComparison.Ordinal));
        Assert.Contains((request.Id, RequestStatus.Pending), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ProcessAsync_StorageDownAndQueueDown_Throws_AndTheRetryRecordsUnmatched()
    {
        var change = await OnboardedAddAsync();
        StorageDown();
        _bridge.Queue.FailWith = new StorageUnavailableException("queue down", null);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.DoesNotContain(Ec2.Rules, r => r.FromPort == 22); // access removed all the same
        StorageUp();
        _bridge.Queue.FailWith = null;
        Assert.Equal(ProcessOutcome.Unmatched, await _bridge.Processor().ProcessAsync(change, 2, default));
        Assert.Equal(RequestStatus.Unmatched, _bridge.Request(change).Status);
    }

    [Fact]
    public async Task ProcessAsync_ForgedIdOfAnApprovedRule_IsNotRevokedWithoutStorage()
    {
        var approved = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var forged = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", ruleId: approved.RuleId)] };
        StorageDown();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => _bridge.Processor().ProcessAsync(forged, 1, default));

        Assert.Contains(approved, Ec2.Rules);
        Assert.Empty(Ec2.Writes);
    }

    [Theory]
    [InlineData(ChangeKind.Remove)]
    [InlineData(ChangeKind.Modify)]
    public async Task ProcessAsync_RemoveOrModifyWithStorageDown_WaitsForStorage(ChangeKind kind)
    {
        var approved = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var change = TestData.Change(kind, Guid.NewGuid().ToString()) with
        {
            Rules = kind == ChangeKind.Remove ? [approved with { RuleId = null }] : [],
            RuleIds = [approved.RuleId!],
            Modifications = kind == ChangeKind.Modify ? [new RuleModification(approved.RuleId!, TestData.Tcp(443, "0.0.0.0/0"))] : [],
        };
        StorageDown();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.Empty(Ec2.Writes);
        Assert.Empty(_bridge.Queue.Sent);
        Assert.Equal(1, _failures.Count("storage"));
    }

    [Fact]
    public async Task ProcessAsync_StorageTimeoutAfterRetries_IsTreatedAsStorageDown()
    {
        var change = await OnboardedAddAsync();
        StorageDown(new StorageUnavailableException("Retry failed after 4 tries.", new AggregateException(new TaskCanceledException("timed out", new TimeoutException()))));

        Assert.Equal(ProcessOutcome.RevokedWithoutStorage, await _bridge.Processor().ProcessAsync(change, 1, default));
    }

    [Fact]
    public async Task ProcessAsync_Ec2FailureIsNotMistakenForStorage()
    {
        var change = await OnboardedAddAsync();
        Ec2.Throw = new HttpRequestException("connection reset");
        Ec2.ThrowTimes = 5;

        await Assert.ThrowsAsync<HttpRequestException>(() => _bridge.Processor().ProcessAsync(change, 1, default));

        Assert.Empty(_bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes));
        Assert.Equal(0, _failures.Count("storage"));
    }
}
