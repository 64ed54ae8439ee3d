using SgBridge.Shared.Aws;
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
/// An approver's early revoke is carried out at once (not at the next expiry tick): the click's transition raises the
/// EndAccessNow effect (and the notices) on the row; the effects worker revokes in AWS, tells once and drops the row.
/// A nudge that fails leaves the effect pending and the tick catches up; a duplicated nudge, or a forged end-of-access
/// for a row not due, does nothing.
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
        Assert.Equal(RequestStatus.Applied, await _b.TimeBoundApplier().ApplyAsync(id, 1, default));
        Assert.True(InAws("ssh"));
        await _b.Threads.ShowAsync("CAPPROVERS", "1001.000100", _b.Requests, id);
        _b.Queue.Sent.Clear();
        return (await _b.Requests.GetAsync(id, default))!.Value;
    }

    private static SlackInteraction Click(string id) => new()
    {
        UserId = "UA", ChannelId = "CAPPROVERS", MessageTs = "1001.000100",
        ActionId = ActionIds.For(ActionIds.RevokeAccess, id), Value = id,
    };

    [Fact]
    public async Task Revoke_RecordsTheEndInAwsAsAnEffect_TheWorkerRevokesAtOnce_AndTellsOnce()
    {
        var r = await LiveAccessAsync();

        var result = await _b.ClickAsync(Click(r.Id));

        Assert.Contains("revoked in AWS within a minute at most", result.Reply, StringComparison.Ordinal);
        // The click's one write raised the end in AWS and the notices (and the render of the new state, the Home tabs' refresh).
        Assert.Equal([EffectKind.Render, EffectKind.RefreshHome, EffectKind.AccessEndedNotice, EffectKind.AccessEndedDm, EffectKind.EndAccessNow],
            _b.Requests.Raised.Where(x => x.Id == r.Id && x.Status == RequestStatus.AccessEnded).Select(x => x.Kind));
        Assert.True(InAws("ssh")); // the click itself makes no AWS call

        await _b.DrainEffectsAsync(); // no clock advance, no tick

        Assert.False(InAws("ssh"));
        Assert.True(InAws("https"));
        Assert.Equal(AccessEndReason.Revoked, (await _b.Requests.GetAsync(r.Id, default))!.Value.AccessEndReason);
        Assert.DoesNotContain(_b.Expiries.All, e => e.Kind == AccessEndKind.Revoke);
        Assert.Equal(1, RevokedEarlyNotices(r.Id));

        // Every nudge delivered again, and the tick after it: nothing more in AWS, nobody told twice.
        var sent = _b.Queue.Sent.Where(s => s.Queue == QueueNames.Effects).ToList();
        foreach (var m in sent)
        {
            await _b.Effects().HandleAsync(BridgeJson.Deserialize<SgBridge.Shared.Processing.EffectsMessage>(m.Json), 2, default);
        }
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw)]
    [InlineData(QueueFaultKind.Hang)]
    public async Task Revoke_NudgeFails_IsCounted_AndTheTickCatchesUp(QueueFaultKind fault)
    {
        var r = await LiveAccessAsync();
        _b.Queue.Fault = new QueueFault(QueueNames.Effects, fault);
        var clock = Stopwatch.StartNew();

        var result = await _b.ClickAsync(Click(r.Id));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"the click was answered after {clock.Elapsed}");
        Assert.Equal(DecisionOutcome.Denied, result.Outcome);
        Assert.Equal(1, _failures.Seen.Count(f => f.GetValueOrDefault("kind") == SgBridge.Shared.Processing.RequestLifecycle.NudgeFailureKind));
        Assert.True(InAws("ssh"));
        _b.Queue.Fault = null;

        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        // The notices are effects on the row: the catch-up re-drives them (here, as its nudge would).
        _b.Time.Advance(SgBridge.Shared.Processing.EffectsCatchUp.StuckAfter);
        Assert.Equal(1, await _b.CatchUp().RunAsync(default));
        await _b.DrainEffectsAsync();
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }

    [Fact]
    public async Task EndAccessNow_ForAnExpiryNotYetDue_OrWithNoRow_DoesNothing()
    {
        var r = await LiveAccessAsync();
        var expiry = Assert.Single(_b.Expiries.All); // the 8h expiry row

        Assert.False(await _b.AccessExpiry().EndNowAsync(expiry, default));
        Assert.False(await _b.AccessExpiry().EndNowAsync(new AccessExpiryEntry(_b.Time.GetUtcNow(), r.Id, TestData.Account, TestData.Region, TestData.GroupId, AccessEndKind.Revoke, "UMALLORY"), default));

        Assert.True(InAws("ssh"));
        Assert.Equal(RequestStatus.Applied, (await _b.Requests.GetAsync(r.Id, default))!.Value.Status);
        Assert.Single(_b.Expiries.All);
    }

    [Fact]
    public async Task EndAccessNow_AwsFails_RecordsTheFailureOnTheRow_AndTheTickFinishes()
    {
        var r = await LiveAccessAsync();
        await _b.ClickAsync(Click(r.Id));
        _b.Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        _b.Ec2.ThrowTimes = 1;

        await _b.DrainEffectsAsync();

        Assert.True(InAws("ssh"));
        Assert.Equal(1, Assert.Single(_b.Expiries.All, e => e.Kind == AccessEndKind.Revoke).Attempts);
        Assert.Equal(1, _failures.Seen.Count(f => f.GetValueOrDefault("kind") == "access_expiry"));

        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.False(InAws("ssh"));
        Assert.Equal(1, RevokedEarlyNotices(r.Id));
    }
}
