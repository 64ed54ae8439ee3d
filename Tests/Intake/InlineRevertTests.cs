using SgBridge.Shared.Aws;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

/// <summary>
/// Revert in the intake (Intake:RevertInline), the queue as the fallback: done within the budget → 202 and nothing
/// queued; past it → queued with a delay while the inline work finishes; a failure → queued at once; the queue down → 503.
/// Nothing lost, nothing done twice.
/// </summary>
public sealed class InlineRevertTests
{
    private const string SampleRuleId = "sgr-0a1b2c3d4e5f60001";

    private readonly Bridge _bridge = new() { Ec2 = new FakeSecurityGroupClient { GroupId = "sg-0123456789abcdef0" } };
    private readonly IntakeOptions _options = new();

    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    private static byte[] Event() => File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"));

    private EventIntake Intake() => new(
        _bridge.ChangePolicy(), _bridge.Queue, O.Create(_bridge.Policy), O.Create(_options), _bridge.Time, NullLogger<EventIntake>.Instance, _bridge.Telemetry, _bridge.Processor(), _bridge.Get<Heartbeat>());

    /// <summary>The sample's group, onboarded with an approved rule, then the sample's rule added (unapproved).</summary>
    private async Task<SecurityGroupRule> OnboardedAsync()
    {
        var approved = Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        Ec2.Rules.Add(TestData.Tcp(22, "0.0.0.0/0", "temporary ssh", SampleRuleId));
        return approved;
    }

    private IReadOnlyList<SecurityGroupChange> Queued() => _bridge.Queue.On<SecurityGroupChange>(QueueNames.Changes);

    [Fact]
    public async Task AcceptAsync_InlineDoneWithinTheBudget_Is202WithTheOutcomeAndQueuesNothing()
    {
        var approved = await OnboardedAsync();

        var result = await Intake().AcceptAsync(Event(), "application/json", default);

        Assert.Equal((202, "Processed"), (result.StatusCode, result.Title));
        Assert.Contains("Reverted", result.Detail, StringComparison.Ordinal);
        Assert.Equal([approved], Ec2.Rules);
        Assert.Empty(Queued());
        Assert.Empty(_bridge.Queue.Delayed);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal((RequestStatus.Pending, result.RequestId), (request.Status, request.Id));
    }

    [Fact]
    public async Task AcceptAsync_RevertInlineOff_QueuesAsBefore()
    {
        await OnboardedAsync();
        _options.RevertInline = false;

        var result = await Intake().AcceptAsync(Event(), "application/json", default);

        Assert.Equal((202, "Accepted"), (result.StatusCode, result.Title));
        Assert.Single(Queued());
        Assert.Empty(Ec2.Writes);
        Assert.Empty(_bridge.Requests.All);
    }

    [Fact]
    public async Task AcceptAsync_DuplicateDelivery_RevokesOnceRecordsOnce()
    {
        await OnboardedAsync();
        var intake = Intake();

        var first = await intake.AcceptAsync(Event(), "application/json", default);
        var second = await intake.AcceptAsync(Event(), "application/json", default);

        Assert.Contains("Reverted", first.Detail, StringComparison.Ordinal);
        Assert.Contains("AlreadyProcessed", second.Detail, StringComparison.Ordinal);
        Assert.Single(Ec2.Writes);
        Assert.Single(_bridge.Requests.All);
        Assert.Empty(Queued());
    }

    [Fact]
    public async Task AcceptAsync_InlineFailsTransiently_QueuesAtOnceAndTheWorkerFinishesIt()
    {
        var approved = await OnboardedAsync();
        Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        Ec2.ThrowTimes = 1;

        var result = await Intake().AcceptAsync(Event(), "application/json", default);

        Assert.Equal((202, "Accepted"), (result.StatusCode, result.Title));
        var queued = Assert.Single(Queued());
        Assert.Empty(_bridge.Queue.Delayed);
        Assert.Empty(_bridge.Requests.All);

        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(queued, 1, default));
        Assert.Equal([approved], Ec2.Rules);
        Assert.Equal(RequestStatus.Pending, Assert.Single(_bridge.Requests.All).Status);
    }

    [Fact]
    public async Task AcceptAsync_InlineFailsAndTheQueueIsDown_Is503SoEventBridgeRetries()
    {
        await OnboardedAsync();
        Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        Ec2.ThrowTimes = 1;
        _bridge.Queue.FailWith = new StorageUnavailableException("queue down", null);

        var result = await Intake().AcceptAsync(Event(), "application/json", default);

        Assert.Equal(503, result.StatusCode);
        Assert.NotNull(result.RetryAfter);
        Assert.Empty(_bridge.Requests.All);
    }

    [Fact]
    public async Task AcceptAsync_InlineJustInsideTheBudget_IsDoneInline()
    {
        await OnboardedAsync();
        using var gate = new SemaphoreSlim(0);
        var accept = await AcceptWithTheWriteHeldAsync(gate);
        _bridge.Time.Advance(_options.InlineBudget - TimeSpan.FromTicks(1));
        await Task.Delay(50);
        Assert.False(accept.IsCompleted);
        gate.Release();
        var result = await accept.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("Processed", result.Title);
        Assert.Empty(Queued());
        Assert.Empty(_bridge.Queue.Delayed);
    }

    [Fact]
    public async Task AcceptAsync_InlineAtTheBudget_QueuesADelayedCopy_InlineFinishes_CopyFindsItDone()
    {
        var approved = await OnboardedAsync();
        using var gate = new SemaphoreSlim(0);
        var accept = await AcceptWithTheWriteHeldAsync(gate);
        var result = await PastTheDeadlineAsync(accept);

        // Answered at the attempt's deadline, the revoke still under way: a copy is queued, invisible for the fallback delay.
        Assert.Equal((202, "Accepted"), (result.StatusCode, result.Title));
        var (_, json, delay) = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal(EventIntake.InlineFallbackDelay, delay);
        Assert.Empty(_bridge.Requests.All);

        gate.Release(); // the inline work finishes after the answer
        await WaitForAsync(() => _bridge.Requests.All.Count == 1);
        Ec2.DuringWrite = null;
        var copy = BridgeJson.Deserialize<SecurityGroupChange>(json)!;
        Assert.True(copy.InlineAttempted);
        var callsBefore = Ec2.Calls.Count;

        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(copy, 1, default));
        Assert.Equal(callsBefore, Ec2.Calls.Count); // the copy found the request: no AWS call at all
        Assert.Single(Ec2.Writes);
        Assert.Equal([approved], Ec2.Rules);
        Assert.Equal(RequestStatus.Pending, Assert.Single(_bridge.Requests.All).Status);
    }

    [Fact]
    public async Task AcceptAsync_QueuedCopyWhileTheInlineWorkHoldsTheLease_IsRefusedThenRetried_OneRevokeOneRecord()
    {
        var approved = await OnboardedAsync();
        using var gate = new SemaphoreSlim(0);
        using var entered = new SemaphoreSlim(0);
        var first = 1;
        Ec2.DuringWrite = async () =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                entered.Release();
                await gate.WaitAsync();
            }
        };
        var accept = Intake().AcceptAsync(Event(), "application/json", default);
        Assert.True(await entered.WaitAsync(TimeSpan.FromSeconds(10)));
        await PastTheDeadlineAsync(accept);
        var copy = BridgeJson.Deserialize<SecurityGroupChange>(Assert.Single(_bridge.Queue.Delayed).Json)!;

        // The inline revoke is held inside the EC2 call with the group's lease: the queued copy is refused (the queue
        // retries it), then, once the inline run is done, the retried copy finds nothing left to undo.
        await Assert.ThrowsAsync<GroupBusyException>(() => _bridge.Processor().ProcessAsync(copy, 1, default));
        gate.Release();
        await WaitForAsync(() => _bridge.Requests.All.Count == 1 && Ec2.Writes.Count >= 1);
        var retried = await _bridge.Processor().ProcessAsync(copy, 2, default);

        Assert.Equal([approved], Ec2.Rules);
        Assert.Single(_bridge.Requests.All);
        Assert.Single(Ec2.Writes);
        Assert.True(retried is ProcessOutcome.Reverted or ProcessOutcome.Unmatched or ProcessOutcome.AlreadyProcessed, retried.ToString());
    }

    /// <summary>Starts the intake with its inline revoke held inside the EC2 write until <paramref name="gate"/> is released.</summary>
    private async Task<Task<IntakeResult>> AcceptWithTheWriteHeldAsync(SemaphoreSlim gate)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Ec2.DuringWrite = async () => { entered.TrySetResult(); await gate.WaitAsync(); };
        var accept = Intake().AcceptAsync(Event(), "application/json", default);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return accept;
    }

    /// <summary>
    /// The inline work held: the budget passes (a copy is queued), then the attempt's deadline (budget + enqueue
    /// timeout) with the work still held, and the intake answers.
    /// </summary>
    private async Task<IntakeResult> PastTheDeadlineAsync(Task<IntakeResult> accept)
    {
        _bridge.Time.Advance(_options.InlineBudget);
        await WaitForAsync(() => !_bridge.Queue.Delayed.IsEmpty);
        Assert.False(accept.IsCompleted); // the intake waits for the inline work until the deadline
        _bridge.Time.Advance(_options.EnqueueTimeout);
        return await accept.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AcceptAsync_InlinePastTheBudget_FinishingBeforeTheDeadline_IsAnsweredProcessed()
    {
        var approved = await OnboardedAsync();
        using var gate = new SemaphoreSlim(0);
        var accept = await AcceptWithTheWriteHeldAsync(gate);
        _bridge.Time.Advance(_options.InlineBudget);
        await WaitForAsync(() => !_bridge.Queue.Delayed.IsEmpty); // the copy is queued first: durable before the wait
        gate.Release();
        var result = await accept.WaitAsync(TimeSpan.FromSeconds(10));

        // Done within the attempt: the answer says so (this fake queue keeps the copy; the real one withdraws it).
        Assert.Equal((202, "Processed", ProcessOutcome.Reverted), (result.StatusCode, result.Title, result.Outcome));
        Assert.Equal([approved], Ec2.Rules);
        Assert.Equal(RequestStatus.Pending, Assert.Single(_bridge.Requests.All).Status);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(10);
        }
    }
}
