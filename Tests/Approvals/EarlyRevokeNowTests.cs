using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Faults;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// An approver's early revoke is carried out off the reconcile queue at once (not at the next expiry tick): the click
/// queues the revoke row's work; the reconcile worker revokes in AWS, tells once and drops the row. A queue that fails
/// is counted and the tick catches up; a duplicated, late or forged message does nothing.
/// </summary>
public sealed class EarlyRevokeNowTests : IDisposable
{
    private readonly Bridge _b = new();
    private readonly FailureCounter _failures;

    public EarlyRevokeNowTests()
    {
        _b.Slack.UsersByEmail["alice@example.com"] = "UREQ";
        _failures = new FailureCounter(_b.Telemetry);
    }

    public void Dispose() => _failures.Dispose();

    private SweepService Worker() => new(_b.Reconciler(), _b.Baseline(), _b.Groups, _b.Ec2, _b.Lifecycle(), _b.Queue, O.Create(_b.Reconcile), O.Create(_b.Policy), _b.Time,
        NullLogger<SweepService>.Instance, _b.Telemetry, _b.AccessExpiry());

    private bool InAws(string description) => _b.Ec2.Rules.Any(r => r.Description == description);

    private int RevokedEarlyNotices(string id) => _b.Slack.Posts.Count(p => p.Channel == "CMONITOR" && p.Text.Contains($"Access of {id} revoked early", StringComparison.Ordinal));

    private async Task<ChangeRequest> LiveAccessAsync()
    {
        _b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _b.OnboardAsync();
        var added = _b.Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "ssh"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        await _b.Processor().ProcessAsync(change, 1, default);
        var id = _b.Request(change).Id;
        await _b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", _b.Time.GetUtcNow(), TimeSpan.FromHours(8)); return true; }, default);
        Assert.Equal(RequestStatus.Applied, await _b.TimeBoundApplier().ApplyAsync(new ApplyCommand(id), 1, default));
        Assert.True(InAws("ssh"));
        await _b.Threads.ShowAsync("CAPPROVERS", "1001.000100", id);
        _b.Queue.Sent.Clear();
        return (await _b.Requests.GetAsync(id, default))!.Value;
    }

    private static SlackInteraction Click(string id) => new()
    {
        UserId = "UA", ChannelId = "CAPPROVERS", MessageTs = "1001.000100", ResponseUrl = "https://hooks.slack.com/x",
        ActionId = ActionIds.For(ActionIds.RevokeAccess, id), Value = id,
    };

    private IReadOnlyList<ReconcileCommand> Queued() => _b.Queue.On<ReconcileCommand>(QueueNames.Reconcile);

    [Fact]
    public async Task Revoke_QueuesTheRowsWork_TheReconcileWorkerRevokesInAwsAtOnce_AndTellsOnce()
    {
        var r = await LiveAccessAsync();

        var result = await _b.AccessDecisions().RevokeAsync(Click(r.Id), default);

        Assert.Contains("revoked in AWS within seconds", result.Reply, StringComparison.Ordinal);
        var command = Assert.Single(Queued());
        Assert.Equal((TestData.Account, TestData.Region, TestData.GroupId, r.Id, AccessEndKind.Revoke),
            (command.AccountId, command.Region, command.GroupId, command.EndAccess!.RequestId, command.EndAccess.Kind));
        Assert.True(InAws("ssh")); // the click itself makes no AWS call

        await Worker().HandleAsync(command, default); // no clock advance, no tick

        Assert.False(InAws("ssh"));
        Assert.True(InAws("https"));
        Assert.Equal(AccessEndReason.Revoked, (await _b.Requests.GetAsync(r.Id, default))!.Value.AccessEndReason);
        Assert.DoesNotContain(_b.Expiries.All, e => e.Kind == AccessEndKind.Revoke);
        Assert.Equal(1, RevokedEarlyNotices(r.Id));

        // The message delivered again, and the tick after it: nothing more in AWS, nobody told twice.
        _b.Ec2.Writes.Clear();
        await Worker().HandleAsync(command, default);
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.Empty(_b.Ec2.Writes);
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw)]
    [InlineData(QueueFaultKind.Hang)]
    public async Task Revoke_QueueFails_IsCounted_AndTheTickCatchesUp(QueueFaultKind fault)
    {
        var r = await LiveAccessAsync();
        _b.Queue.Fault = new QueueFault(QueueNames.Reconcile, fault);
        var clock = Stopwatch.StartNew();

        var result = await _b.AccessDecisions().RevokeAsync(Click(r.Id), default);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"the click was answered after {clock.Elapsed}");
        Assert.Equal(DecisionOutcome.Denied, result.Outcome);
        Assert.Contains("revoked in AWS within a minute", result.Reply, StringComparison.Ordinal);
        Assert.Equal(1, _failures.Seen.Count(f => f.GetValueOrDefault("kind") == AccessDecisionService.RevokeEnqueueFailureKind));
        Assert.Empty(Queued());
        Assert.True(InAws("ssh"));

        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }

    [Fact]
    public async Task Revoke_QueueLosesTheAnswer_TheMessageStillRunsOnce()
    {
        var r = await LiveAccessAsync();
        _b.Queue.Fault = new QueueFault(QueueNames.Reconcile, QueueFaultKind.LoseAnswer);

        var result = await _b.AccessDecisions().RevokeAsync(Click(r.Id), default);

        Assert.Contains("within a minute", result.Reply, StringComparison.Ordinal); // the click could not know it went in
        var command = Assert.Single(Queued());
        await Worker().HandleAsync(command, default);
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }

    [Fact]
    public async Task EndAccessMessage_ForAnExpiryNotYetDue_OrWithNoRow_DoesNothing()
    {
        var r = await LiveAccessAsync();
        var expiry = Assert.Single(_b.Expiries.All); // the 8h expiry row
        var forged = new ReconcileCommand(TestData.Account, TestData.Region, TestData.GroupId, EndAccess: expiry);
        var unknown = new ReconcileCommand(TestData.Account, TestData.Region, TestData.GroupId,
            EndAccess: new AccessExpiryEntry(_b.Time.GetUtcNow(), r.Id, TestData.Account, TestData.Region, TestData.GroupId, AccessEndKind.Revoke, "UMALLORY"));

        await Worker().HandleAsync(forged, default);
        await Worker().HandleAsync(unknown, default);

        Assert.True(InAws("ssh"));
        Assert.Equal(RequestStatus.Applied, (await _b.Requests.GetAsync(r.Id, default))!.Value.Status);
        Assert.Single(_b.Expiries.All);
    }

    [Fact]
    public async Task EndAccessMessage_AwsFails_RecordsTheFailureOnTheRow_AndTheTickFinishes()
    {
        var r = await LiveAccessAsync();
        await _b.AccessDecisions().RevokeAsync(Click(r.Id), default);
        _b.Ec2.Throw = new Amazon.EC2.AmazonEC2Exception("Rate exceeded") { ErrorCode = "RequestLimitExceeded" };
        _b.Ec2.ThrowTimes = 1;

        await Worker().HandleAsync(Assert.Single(Queued()), default);

        Assert.True(InAws("ssh"));
        Assert.Equal(1, Assert.Single(_b.Expiries.All, e => e.Kind == AccessEndKind.Revoke).Attempts);
        Assert.Equal(1, _failures.Seen.Count(f => f.GetValueOrDefault("kind") == "access_expiry"));

        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }
}
