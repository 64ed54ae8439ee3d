using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

public class ApplyServiceTests
{
    private readonly InMemoryRequestStore _requests = new();
    private readonly InMemorySnapshotStore _snapshots = new();
    private readonly FakeSecurityGroupClient _ec2 = new();
    private readonly RecordingNotifier _notifier = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private ApplyService Service() => new(_requests, new SnapshotKeeper(_snapshots, _time), _ec2, new RequestLifecycle(_requests, _notifier), _time, NullLogger<ApplyService>.Instance);

    private async Task<ChangeRequest> ApprovedAddAsync(int port = 22)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(port, "10.0.0.0/8", "ssh", "sgr-old")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, _time.GetUtcNow());
        r.MarkReverted(new CallOutcome("revoke", true), _time.GetUtcNow());
        r.Approve("UA", "a", _time.GetUtcNow());
        await _requests.AddOrGetAsync(r, default);
        return r;
    }

    [Fact]
    public async Task ApplyAsync_Approved_AppliesOnceAndRefreshesTheSnapshot()
    {
        var r = await ApprovedAddAsync();

        Assert.Equal(RequestStatus.Applied, await Service().ApplyAsync(new ApplyCommand(r.Id), default));

        var write = Assert.IsType<AuthorizeIngress>(Assert.Single(_ec2.Writes));
        Assert.Null(Assert.Single(write.Rules).RuleId);
        Assert.Equal("ssh", Assert.Single(_ec2.Rules).Description);
        Assert.Single((await _snapshots.GetAsync(TestData.Account, TestData.Region, TestData.GroupId, default))!.Rules);
        Assert.Equal([(r.Id, RequestStatus.Applied)], _notifier.Seen);
    }

    [Fact]
    public async Task ApplyAsync_ARowWrittenMeanwhile_RecordsTheOutcomeWithoutCallingEc2Again()
    {
        var r = await ApprovedAddAsync();
        // Another writer rewrites the row while the EC2 call is in flight.
        _ec2.DuringWrite = async () =>
        {
            var s = (await _requests.GetAsync(r.Id, default))!;
            await _requests.ReplaceAsync(s.Value, s.ETag, default);
        };

        Assert.Equal(RequestStatus.Applied, await Service().ApplyAsync(new ApplyCommand(r.Id), default));

        Assert.Single(_ec2.Writes);
        var stored = (await _requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal(RequestStatus.Applied, stored.Status);
    }

    [Fact]
    public async Task ApplyAsync_Duplicate_MarksFailedWithTheCodeAndAReadableReason()
    {
        var r = await ApprovedAddAsync();
        _ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8"));

        Assert.Equal(RequestStatus.ApplyFailed, await Service().ApplyAsync(new ApplyCommand(r.Id), default));

        var stored = (await _requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal("InvalidPermission.Duplicate", stored.Apply!.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(stored.Apply.Message));
    }

    [Fact]
    public async Task ApplyAsync_NotApproved_DoesNothing()
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, _time.GetUtcNow());
        r.MarkReverted(new CallOutcome("revoke", true), _time.GetUtcNow());
        r.Deny("UA", "a", _time.GetUtcNow());
        await _requests.AddOrGetAsync(r, default);

        Assert.Equal(RequestStatus.Denied, await Service().ApplyAsync(new ApplyCommand(r.Id), default));
        Assert.Empty(_ec2.Writes);
    }

    [Fact]
    public async Task ApplyAsync_SecondDeliveryOfTheSameCommand_AppliesNothingTwice()
    {
        var r = await ApprovedAddAsync();
        await Service().ApplyAsync(new ApplyCommand(r.Id), default);
        await Service().ApplyAsync(new ApplyCommand(r.Id), default);
        Assert.Single(_ec2.Writes);
    }
}
