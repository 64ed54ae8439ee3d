using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Faults;
using SgBridge.Tests.Slack;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// An approver's click is recorded, then the apply cannot be queued (the queue throws, hangs, or took the message and
/// the answer was lost): the click still answers in time, says so, counts it, and the catch-up timer queues the apply
/// again; a repeated click decides nothing and queues nothing. (An extension of time-bound access is approved by the
/// same click, so it heals the same way.)
/// </summary>
public sealed class DecisionApplyEnqueueTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackRig _rig;
    private readonly FailureCounter _failures;

    public DecisionApplyEnqueueTests()
    {
        _rig = new SlackRig(new SlackOptions
        {
            BotToken = "xoxb-test", SigningSecret = SlackSigning.Secret, ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UAPPROVER1",
        }, new FakeTimeProvider(Now));
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
        _failures = new FailureCounter(_rig.Telemetry);
    }

    public void Dispose() => _failures.Dispose();

    private int ApplyEnqueueFailures => _failures.Seen.Count(f => f.GetValueOrDefault("kind") == ApplyEnqueue.FailureKind);

    private int AppliesQueued => _rig.Queue.On<ApplyCommand>(QueueNames.Applies).Count;

    private async Task<string> PendingRequestAsync(bool shown = true)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        if (shown)
        {
            await _rig.Threads.ShowAsync("CAPPROVERS", "1001.000100", r.Id);
        }
        return r.Id;
    }

    private async Task<(string Id, DecisionResult Result)> ApproveWithFaultAsync(QueueFaultKind fault)
    {
        var id = await PendingRequestAsync();
        _rig.Queue.Fault = new QueueFault(QueueNames.Applies, fault);
        var clock = Stopwatch.StartNew();

        var result = await _rig.ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"the click was answered after {clock.Elapsed} (Slack waits 3 s)");
        Assert.Equal((DecisionOutcome.Approved, 200), (result.Outcome, result.StatusCode));
        Assert.Contains($"Approved {id}, but not yet applied", result.Reply, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Approved, (await _rig.Requests.GetAsync(id, default))!.Value.Status);
        Assert.Equal(1, ApplyEnqueueFailures);
        Assert.Equal(1, _rig.Queue.Fault.Hits);
        return (id, result);
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw, 0)]
    [InlineData(QueueFaultKind.Hang, 0)]
    [InlineData(QueueFaultKind.LoseAnswer, 1)]
    public async Task Approve_ApplyNotQueued_IsCountedAndSaid_ARepeatedClickDecidesNothing_TheTimerQueuesIt(QueueFaultKind fault, int lost)
    {
        var (id, _) = await ApproveWithFaultAsync(fault);
        Assert.Equal(lost, AppliesQueued);

        var again = await _rig.ClickAsync(ActionIds.Approve, id, "UAPPROVER1"); // the replayed payload
        Assert.Equal(DecisionOutcome.AlreadyDecided, again.Outcome);
        Assert.Equal(lost, AppliesQueued);

        var catchUp = new ApplyCatchUpService(_rig.Requests, _rig.Queue, _rig.Time, NullLogger<ApplyCatchUpService>.Instance, _rig.Telemetry);
        Assert.Equal(0, await catchUp.RequeueStuckAsync(default)); // not stuck yet
        _rig.Time.Advance(ApplyCatchUpService.StuckAfter);
        Assert.Equal(1, await catchUp.RequeueStuckAsync(default));
        Assert.Equal(lost + 1, AppliesQueued);
        Assert.All(_rig.Queue.On<ApplyCommand>(QueueNames.Applies), c => Assert.Equal(id, c.RequestId));
        Assert.Equal(1, ApplyEnqueueFailures);
    }

    [Fact]
    public async Task Approve_ApplyNotQueued_TheCatchUpTimerQueuesIt_AndTheRealApplyAddsTheRuleOnce()
    {
        var bridge = new Bridge();
        await bridge.OnboardAsync();
        var (id, _) = await ApproveWithFaultAsync(QueueFaultKind.LoseAnswer);
        var stored = (await _rig.Requests.GetAsync(id, default))!.Value;
        await bridge.Requests.AddOrGetAsync(stored, default); // the same approved request, in the apply worker's store
        var catchUp = new ApplyCatchUpService(bridge.Requests, bridge.Queue, bridge.Time, NullLogger<ApplyCatchUpService>.Instance, bridge.Telemetry);

        bridge.Time.Advance(ApplyCatchUpService.StuckAfter + (Now - bridge.Time.GetUtcNow()));
        Assert.Equal(1, await catchUp.RequeueStuckAsync(default));

        // Both applies run (the one whose answer was lost, and the catch-up's): one change in AWS.
        foreach (var command in _rig.Queue.On<ApplyCommand>(QueueNames.Applies).Concat(bridge.Queue.On<ApplyCommand>(QueueNames.Applies)))
        {
            await bridge.Applier().ApplyAsync(command, 1, default);
        }
        Assert.Equal(RequestStatus.Applied, (await bridge.Requests.GetAsync(id, default))!.Value.Status);
        Assert.Single(bridge.Ec2.Writes);
        Assert.Equal(0, await catchUp.RequeueStuckAsync(default));
    }

    [Fact]
    public async Task ApproveAll_OneApplyNotQueued_TheOthersAre_TheReplyNamesTheOne_TheTimerQueuesIt()
    {
        var ids = new[] { await PendingRequestAsync(shown: false), await PendingRequestAsync(shown: false), await PendingRequestAsync(shown: false) };
        await _rig.Threads.ShowAsync("CAPPROVERS", "2001.000100", ids);
        _rig.Queue.Fault = new QueueFault(QueueNames.Applies, QueueFaultKind.Throw); // the first apply send of the batch fails

        var result = await _rig.ClickAsync(ActionIds.ApproveAll, ids[0], "UAPPROVER1", "CAPPROVERS", "2001.000100");

        Assert.Equal((DecisionOutcome.Approved, 3), (result.Outcome, result.Decided));
        Assert.Equal(2, AppliesQueued);
        var missing = Assert.Single(ids, id => !_rig.Queue.On<ApplyCommand>(QueueNames.Applies).Contains(new ApplyCommand(id)));
        Assert.Contains($"Approved {missing}, but not yet applied", result.Reply, StringComparison.Ordinal);
        Assert.Equal(1, ApplyEnqueueFailures);

        _rig.Time.Advance(ApplyCatchUpService.StuckAfter);
        var catchUp = new ApplyCatchUpService(_rig.Requests, _rig.Queue, _rig.Time, NullLogger<ApplyCatchUpService>.Instance, _rig.Telemetry);
        Assert.Equal(3, await catchUp.RequeueStuckAsync(default)); // all three still Approved here (no worker ran): each queued, idempotently
        Assert.Contains(new ApplyCommand(missing), _rig.Queue.On<ApplyCommand>(QueueNames.Applies));
    }

    [Fact]
    public async Task Approve_QueueHealthy_QueuesOneApply_AndCountsNothing()
    {
        var id = await PendingRequestAsync();

        var result = await _rig.ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
        Assert.Null(result.Reply);
        Assert.Equal(1, AppliesQueued);
        Assert.Equal(0, ApplyEnqueueFailures);
    }
}
