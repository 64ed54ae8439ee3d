using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

/// <summary>An approval goes through the approved state: write it there, reconcile, and the apply is idempotent by construction.</summary>
public class ApplyServiceTests
{
    private readonly Bridge _bridge = new();

    private async Task<ChangeRequest> ApproveAsync(SecurityGroupChange change)
    {
        await _bridge.Processor().ProcessAsync(change, 1, default);
        var update = await _bridge.Lifecycle().ChangeAsync(_bridge.Request(change).Id, r => { r.Approve("UA", "ann", _bridge.Time.GetUtcNow()); return true; }, default);
        return update!.Request;
    }

    private async Task<ChangeRequest> ApprovedAddAsync(int port = 22)
    {
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var added = _bridge.Ec2.AddExisting(TestData.Tcp(port, "10.0.0.0/8", "ssh"));
        return await ApproveAsync(TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] });
    }

    private Task<RequestStatus?> ApplyAsync(string id, long dequeue = 1) => _bridge.Applier().ApplyAsync(id, dequeue, default);

    [Fact]
    public async Task ApplyAsync_Approved_PutsTheRuleIntoTheApprovedStateAndAws()
    {
        var r = await ApprovedAddAsync();
        _bridge.Ec2.Writes.Clear();

        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id));

        Assert.IsType<AuthorizeIngress>(Assert.Single(_bridge.Ec2.Writes));
        Assert.Contains(_bridge.Ec2.Rules, x => x.Description == "ssh");
        Assert.Contains(await _bridge.ApprovedAsync(), x => x.Description == "ssh");
        Assert.Contains((r.Id, RequestStatus.Applied), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ApplyAsync_DeliveredTwice_AppliesOnceAndEndsApplied()
    {
        var r = await ApprovedAddAsync();
        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id));
        _bridge.Ec2.Writes.Clear();

        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id));

        Assert.Empty(_bridge.Ec2.Writes);
        Assert.Single(_bridge.Ec2.Rules, x => x.Description == "ssh");
    }

    [Fact]
    public async Task ApplyAsync_CrashAfterTheApprovedStateWasWritten_RedeliveryEndsApplied()
    {
        var r = await ApprovedAddAsync();
        // First try: the approved state is written, then AWS fails transiently and the worker dies.
        _bridge.Ec2.Throw = new AwsServiceException("EC2", "InternalError", 500, "boom", null);
        _bridge.Ec2.ThrowTimes = 1;
        await Assert.ThrowsAsync<AwsServiceException>(() => ApplyAsync(r.Id));
        Assert.Contains(await _bridge.ApprovedAsync(), x => x.Description == "ssh");

        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id, dequeue: 2));
        Assert.Single(_bridge.Ec2.Rules, x => x.Description == "ssh");
    }

    [Fact]
    public async Task ApplyAsync_FailingFiveTimes_EndsApplyFailedAndTellsMonitoring()
    {
        var r = await ApprovedAddAsync();
        _bridge.Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        _bridge.Ec2.ThrowTimes = 100;
        for (var attempt = 1; attempt < 5; attempt++)
        {
            await Assert.ThrowsAsync<AwsServiceException>(() => ApplyAsync(r.Id, attempt));
        }
        await Assert.ThrowsAsync<AwsServiceException>(() => ApplyAsync(r.Id, 5));

        var stored = (await _bridge.Requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal((RequestStatus.ApplyFailed, "RequestLimitExceeded"), (stored.Status, stored.Apply!.ErrorCode));
        Assert.Contains((r.Id, RequestStatus.ApplyFailed), _bridge.Notifier.Seen);
    }

    [Fact]
    public async Task ApplyAsync_GroupGone_EndsApplyFailed()
    {
        var r = await ApprovedAddAsync();
        _bridge.Ec2.GroupExists = false;

        Assert.Equal(RequestStatus.ApplyFailed, await ApplyAsync(r.Id));
        Assert.Equal("InvalidGroup.NotFound", (await _bridge.Requests.GetAsync(r.Id, default))!.Value.Apply!.ErrorCode);
    }

    [Fact]
    public async Task ApplyAsync_ApprovedRemove_TakesTheRuleOutOfTheApprovedState()
    {
        var ssh = _bridge.Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "ssh"));
        await _bridge.OnboardAsync();
        _bridge.Ec2.Rules.Clear();
        var r = await ApproveAsync(TestData.Change(ChangeKind.Remove, Guid.NewGuid().ToString()) with { Rules = [ssh with { RuleId = null }], RuleIds = [ssh.RuleId!] });
        Assert.Single(_bridge.Ec2.Rules); // restored by the revert, waiting for the decision

        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id));

        Assert.Empty(_bridge.Ec2.Rules);
        Assert.Empty(await _bridge.ApprovedAsync());
    }

    [Fact]
    public async Task ApplyAsync_ApprovedModify_ChangesTheApprovedContent()
    {
        var https = _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        var wider = TestData.Tcp(443, "10.0.0.0/7", "https wider");
        _bridge.Ec2.Rules[0] = wider with { RuleId = https.RuleId };
        var r = await ApproveAsync(TestData.Change(ChangeKind.Modify, Guid.NewGuid().ToString()) with { Modifications = [new RuleModification(https.RuleId!, wider)] });
        Assert.Equal("10.0.0.0/8", Assert.Single(_bridge.Ec2.Rules).Source.Value);

        Assert.Equal(RequestStatus.Applied, await ApplyAsync(r.Id));

        Assert.Equal("10.0.0.0/7", Assert.Single(_bridge.Ec2.Rules).Source.Value);
        Assert.Equal(https.RuleId, Assert.Single(_bridge.Ec2.Rules).RuleId);
        Assert.Equal("10.0.0.0/7", Assert.Single(await _bridge.ApprovedAsync()).Source.Value);
    }

    [Fact]
    public async Task ApplyAsync_RequestNotApproved_DoesNothing()
    {
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await _bridge.OnboardAsync();
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [_bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"))] };
        await _bridge.Processor().ProcessAsync(change, 1, default);
        _bridge.Ec2.Writes.Clear();

        Assert.Equal(RequestStatus.Pending, await ApplyAsync(_bridge.Request(change).Id));
        Assert.Empty(_bridge.Ec2.Writes);
    }
}
