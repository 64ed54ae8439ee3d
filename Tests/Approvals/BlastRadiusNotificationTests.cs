using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;

namespace SgBridge.Tests.Approvals;

/// <summary>The notifier with the blast radius: a failed, denied or hung read never stops or holds up the approvers' message.</summary>
public sealed class BlastRadiusNotificationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackRig _rig = new(SlackTestOptions.Create(), new FakeTimeProvider(Now));

    private async Task<string> PendingAsync()
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        return r.Id;
    }

    private string ApproverBlocks() => _rig.Slack.Posts.First(p => p.Channel == "C0APPROVERS").Blocks!.ToJsonString();

    [Fact]
    public async Task Notify_RoleLacksDescribeNetworkInterfaces_MessageSentWithTheReason()
    {
        _rig.Ec2.DescribeInterfacesThrows = new AwsServiceException("EC2", "UnauthorizedOperation", 403, "You are not authorized to perform this operation.", null);
        var id = await PendingAsync();

        await _rig.Notifier().NotifyAsync(new RequestNotification(id, RequestStatus.Pending), _rig.Requests);

        Assert.Equal(["C0APPROVERS", "C0MONITOR"], _rig.Slack.Posts.Select(p => p.Channel));
        Assert.Contains("may not call ec2:DescribeNetworkInterfaces (UnauthorizedOperation)", ApproverBlocks(), StringComparison.Ordinal);
        Assert.Contains(ActionIds.Approve, ApproverBlocks(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_Ec2Hangs_MessageSentAfterTheBudgetWithTheReason()
    {
        _rig.BlastRadius.Budget = TimeSpan.FromMilliseconds(200);
        _rig.Ec2.DescribeInterfacesDelay = ct => Task.Delay(Timeout.Infinite, ct);
        var id = await PendingAsync();
        var clock = Stopwatch.StartNew();

        await _rig.Notifier().NotifyAsync(new RequestNotification(id, RequestStatus.Pending), _rig.Requests);

        // It waited for the budget, not for EC2: the lower bound allows the runtime's timer to fire a little before the
        // stopwatch says 200 ms (CI saw 199.05 ms).
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(2));
        Assert.Contains("Blast radius unavailable:* no answer from EC2 within 0.2 s", ApproverBlocks(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_Throttled_MessageSentSayingSo()
    {
        _rig.Ec2.DescribeInterfacesThrows = new AwsServiceException("EC2", "RequestLimitExceeded", 503, "Request limit exceeded.", null);
        var id = await PendingAsync();

        await _rig.Notifier().NotifyAsync(new RequestNotification(id, RequestStatus.Pending), _rig.Requests);

        Assert.Contains("EC2 throttled the read (RequestLimitExceeded)", ApproverBlocks(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_MonitoringMessage_CarriesNoBlastRadius_AndMonitoringOnlyStatesReadNothing()
    {
        _rig.Ec2.Interfaces.Add(new NetworkInterfaceInfo("eni-1", "interface", false, null, "i-1", "54.1.1.1"));
        var id = await PendingAsync();

        await _rig.Notifier().NotifyAsync(new RequestNotification(id, RequestStatus.Pending), _rig.Requests);

        Assert.Contains("Internet exposure", ApproverBlocks(), StringComparison.Ordinal);
        Assert.DoesNotContain("Blast radius", _rig.Slack.Posts.Single(p => p.Channel == "C0MONITOR").Blocks!.ToJsonString(), StringComparison.Ordinal);
        Assert.Single(_rig.Ec2.Calls, c => c == "describe-interfaces");
    }
}
