using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Faults;

namespace SgBridge.Tests.Slack.Requests;

/// <summary>
/// A request from the /sgbridge modal that the policy approves, whose apply cannot be queued: the queue throws, hangs,
/// or took the message but the answer was lost. Each ends visibly failed (counted, the modal says so and stays open)
/// and then applied exactly once: by the modal submitted again, or by the catch-up timer.
/// </summary>
public sealed class SlackRequestApplyEnqueueTests : IDisposable
{
    private readonly RequestRig _rig = new();
    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
    private readonly FailureCounter _failures;

    public SlackRequestApplyEnqueueTests()
    {
        File.Copy(RepoRoot.Sample("policy.yaml"), _policyFile);
        _rig.Bridge.Policy.RulesFile = _policyFile;
        _rig.Bridge.Policy.AccountAliases = TestData.Account + "=dev";
        _failures = new FailureCounter(_rig.Bridge.Telemetry);
    }

    public void Dispose()
    {
        _failures.Dispose();
        File.Delete(_policyFile);
    }

    private int ApplyEnqueueFailures => _failures.Seen.Count(f => f.GetValueOrDefault("kind") == ApplyEnqueue.FailureKind);

    /// <summary>Runs every queued apply through the real ApplyService, as the queue trigger would (each message once).</summary>
    private async Task<int> DrainAppliesAsync()
    {
        var commands = _rig.Bridge.Queue.On<ApplyCommand>(QueueNames.Applies);
        _rig.Bridge.Queue.Sent.Clear();
        foreach (var c in commands)
        {
            await _rig.Bridge.Applier().ApplyAsync(c, 1, default);
        }
        return commands.Count;
    }

    private async Task<ChangeRequest> SubmitApprovedByPolicyAsync(QueueFaultKind fault, string view)
    {
        await _rig.Bridge.OnboardAsync();
        _rig.Bridge.Queue.Fault = new QueueFault(QueueNames.Applies, fault);
        var clock = Stopwatch.StartNew();

        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), view), default);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"the modal was answered after {clock.Elapsed} (Slack waits 3 s)");
        Assert.Equal("errors", (string?)answer.Body!["response_action"]); // the modal stays open, to be submitted again
        var request = Assert.Single(_rig.Bridge.Requests.All);
        Assert.Equal(RequestStatus.Approved, request.Status);
        Assert.Contains($"Approved by policy as request {request.Id}, but not yet applied", (string?)answer.Body["errors"]![RequestBlocks.Reason], StringComparison.Ordinal);
        Assert.Equal(1, ApplyEnqueueFailures);
        Assert.Equal(1, _rig.Bridge.Queue.Fault.Hits);
        return request;
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw, 1)]
    [InlineData(QueueFaultKind.Hang, 1)]
    [InlineData(QueueFaultKind.LoseAnswer, 2)] // the first message went in after all: two applies, one change
    public async Task Submit_ApplyNotQueued_IsCountedAndShown_ThenTheSameSubmissionAgainAppliesItOnce(QueueFaultKind fault, int appliesQueued)
    {
        var request = await SubmitApprovedByPolicyAsync(fault, "VQ-" + fault);

        var again = await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VQ-" + fault), default);
        Assert.Equal("update", (string?)again.Body!["response_action"]);
        Assert.Equal(1, ApplyEnqueueFailures); // the retry went through

        Assert.Equal(appliesQueued, await DrainAppliesAsync());
        Assert.Equal(RequestStatus.Applied, (await _rig.Bridge.Requests.GetAsync(request.Id, default))!.Value.Status);
        Assert.Single(_rig.Bridge.Ec2.Writes); // applied once, however many applies were queued
        Assert.Contains(TestData.Tcp(443, "10.0.0.0/8", "build agents"), await _rig.Bridge.ApprovedAsync(), SameAccess.Instance);

        // Nothing stuck: the catch-up timer finds nothing to queue.
        _rig.Bridge.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await CatchUp().RequeueStuckAsync(default));
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw)]
    [InlineData(QueueFaultKind.Hang)]
    [InlineData(QueueFaultKind.LoseAnswer)]
    public async Task Submit_ApplyNotQueued_NobodySubmitsAgain_TheCatchUpTimerQueuesItOnce(QueueFaultKind fault)
    {
        var request = await SubmitApprovedByPolicyAsync(fault, "VT-" + fault);
        var lost = fault == QueueFaultKind.LoseAnswer ? 1 : 0;

        // Not yet stuck: a tick right away leaves it (its apply may be on the way).
        _rig.Bridge.Time.Advance(ApplyCatchUpService.StuckAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await CatchUp().RequeueStuckAsync(default));

        _rig.Bridge.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await CatchUp().RequeueStuckAsync(default));
        Assert.Equal(1 + lost, await DrainAppliesAsync());
        Assert.Equal(RequestStatus.Applied, (await _rig.Bridge.Requests.GetAsync(request.Id, default))!.Value.Status);
        Assert.Single(_rig.Bridge.Ec2.Writes);

        _rig.Bridge.Time.Advance(ApplyCatchUpService.Interval);
        Assert.Equal(0, await CatchUp().RequeueStuckAsync(default)); // applied: never queued again
    }

    [Fact]
    public async Task CatchUp_QueueStillDown_CountsAndKeepsTheRequestForTheNextTick()
    {
        var request = await SubmitApprovedByPolicyAsync(QueueFaultKind.Throw, "VD");
        _rig.Bridge.Time.Advance(ApplyCatchUpService.StuckAfter);
        _rig.Bridge.Queue.Fault = new QueueFault(QueueNames.Applies, QueueFaultKind.Throw);

        Assert.Equal(0, await CatchUp().RequeueStuckAsync(default));
        Assert.Equal(2, ApplyEnqueueFailures);
        Assert.Equal(RequestStatus.Approved, (await _rig.Bridge.Requests.GetAsync(request.Id, default))!.Value.Status);

        _rig.Bridge.Time.Advance(ApplyCatchUpService.Interval);
        Assert.Equal(1, await CatchUp().RequeueStuckAsync(default));
        await DrainAppliesAsync();
        Assert.Equal(RequestStatus.Applied, (await _rig.Bridge.Requests.GetAsync(request.Id, default))!.Value.Status);
    }

    private ApplyCatchUpService CatchUp() =>
        new(_rig.Bridge.Requests, _rig.Bridge.Queue, _rig.Bridge.Time, NullLogger<ApplyCatchUpService>.Instance, _rig.Bridge.Telemetry);

    private sealed class SameAccess : IEqualityComparer<SecurityGroupRule>
    {
        public static readonly SameAccess Instance = new();

        public bool Equals(SecurityGroupRule? x, SecurityGroupRule? y) => x is not null && y is not null && x.SameAccessAs(y);

        public int GetHashCode(SecurityGroupRule obj) => 0;
    }
}
