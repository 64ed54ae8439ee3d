using System.Diagnostics;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Faults;

namespace SgBridge.Tests.Processing;

/// <summary>
/// Effects, not calls: a transition records its follow-up work on the row in its own write; the effects worker performs
/// each effect and clears it (told once); the catch-up re-drives what waited too long. So a Slack outage delays a notice
/// and never loses it, a lost nudge (queue down, or a crash between the write and the send) costs only time, and a
/// duplicated or reordered nudge performs nothing twice.
/// </summary>
public sealed class EffectsTests : IDisposable
{
    private readonly Bridge _b = new();
    private readonly FailureCounter _failures;

    public EffectsTests()
    {
        _b.Slack.UsersByEmail["alice@example.com"] = "UREQ";
        _failures = new FailureCounter(_b.Telemetry);
    }

    public void Dispose() => _failures.Dispose();

    private bool _onboarded;

    private async Task<ChangeRequest> RequestAsync(string id) => (await _b.Requests.GetAsync(id, default))!.Value;

    private int Dms(string text) => _b.Slack.Posts.Count(p => p.Channel == "UREQ" && p.Text.Contains(text, StringComparison.Ordinal));

    private int Monitoring(string text) => _b.Slack.Posts.Count(p => p.Channel == "CMONITOR" && p.Text.Contains(text, StringComparison.Ordinal));

    /// <summary>A change reverted and stored Pending (its render and reason DM raised, not performed).</summary>
    private async Task<string> RevertedAsync(int port)
    {
        if (!_onboarded)
        {
            _onboarded = true;
            _b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
            await _b.OnboardAsync();
        }
        var added = _b.Ec2.AddExisting(TestData.Tcp(port, "10.0.0.0/8", "p" + port));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        Assert.Equal(ProcessOutcome.Reverted, await _b.Processor().ProcessAsync(change, 1, default));
        return _b.Request(change).Id;
    }

    private Task ApproveAsync(string id, TimeSpan? duration = null, bool breakGlass = false) =>
        _b.Lifecycle().ChangeAsync(id, r => { r.Approve(breakGlass ? "UREQ" : "UA", "ann", _b.Time.GetUtcNow(), duration, breakGlass); return true; }, default);

    /// <summary>The catch-up's tick once effects have waited too long, then the effects queue drained.</summary>
    private async Task<int> CatchUpAsync()
    {
        _b.Time.Advance(EffectsCatchUp.StuckAfter + TimeSpan.FromSeconds(1));
        var redriven = await _b.CatchUp().RunAsync(default);
        await _b.DrainEffectsAsync();
        return redriven;
    }

    [Fact]
    public async Task SlackOutage_DelaysTheReasonDm_TheBreakGlassNotice_AndTheAccessEndedNotices_AndLosesNone()
    {
        var reverted = await RevertedAsync(22);           // raises the reason DM
        var selfApproved = await RevertedAsync(23);
        await ApproveAsync(selfApproved, breakGlass: true); // raises the break-glass notice
        var timed = await RevertedAsync(24);
        await ApproveAsync(timed, TimeSpan.FromHours(1));
        _b.Slack.FailPosts = new HttpRequestException("Slack is down");

        var (_, failed) = await _b.DrainEffectsAsync();                  // every Slack effect fails; the applies happen
        Assert.True(failed > 0);
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(timed)).Status);
        _b.Time.Advance(TimeSpan.FromHours(1));
        await _b.AccessExpiry().ExpireDueAsync(default);   // access ends while Slack is still down
        await _b.DrainEffectsAsync();
        Assert.Equal(RequestStatus.AccessEnded, (await RequestAsync(timed)).Status);
        Assert.Empty(_b.Slack.Posts);
        await CatchUpAsync();                              // the catch-up re-drives, and Slack is still down
        Assert.Empty(_b.Slack.Posts);
        foreach (var id in new[] { reverted, selfApproved, timed })
        {
            Assert.NotEmpty((await RequestAsync(id)).Effects); // delayed, not lost
        }

        _b.Slack.FailPosts = null;                         // Slack is back
        _b.Time.Advance(EffectsCatchUp.Backoff);
        Assert.Equal(3, await CatchUpAsync());

        Assert.Equal(1, _b.Slack.Posts.Count(p => p.Channel == "UREQ" && p.Blocks?.ToJsonString().Contains(ActionIds.For(ActionIds.GiveReason, reverted), StringComparison.Ordinal) == true));
        Assert.Equal(1, Monitoring("BREAK-GLASS"));
        Assert.Equal(1, Monitoring($"Access of {timed} ended"));
        Assert.Equal(1, Dms($"Access of {timed} ended"));
        foreach (var id in new[] { reverted, selfApproved, timed })
        {
            Assert.Empty((await RequestAsync(id)).Effects);
        }
        Assert.Empty(_b.Requests.Indexed);

        // Once more, everything delivered again: nobody told twice.
        _b.Time.Advance(EffectsCatchUp.Backoff);
        Assert.Equal(0, await CatchUpAsync());
        Assert.Equal(1, Monitoring("BREAK-GLASS"));
        Assert.Equal(1, Monitoring($"Access of {timed} ended"));
        Assert.Equal(1, Dms($"Access of {timed} ended"));
    }

    [Theory]
    [InlineData(RequestStatus.Approved)]
    [InlineData(RequestStatus.Denied)]
    [InlineData(RequestStatus.Expired)]
    public async Task SlackRequest_ItsDecisionReachesTheRequesterInADm_DelayedByASlackOutage_NeverLost(RequestStatus decision)
    {
        var now = _b.Time.GetUtcNow();
        var request = ChangeRequest.OpenFromSlack("SG-SLACKDM1", TestData.Account, TestData.Region, TestData.GroupId, "web", "vpc-0abc",
            TestData.Tcp(8443, "10.0.0.0/8", "agents"),
            new Requester(PrincipalType.SlackUser, null, null, "slack:T1:USLACKREQ", "bob", null, null, null, "Slack /sgbridge", null) { SlackUserId = "USLACKREQ" },
            new SlackOrigin("USLACKREQ", "bob", null, "T1", "V1", null, "CHG-7"), now);
        await _b.Lifecycle().OpenAsync(request, default);
        await _b.DrainEffectsAsync();
        _b.Slack.FailPosts = new HttpRequestException("Slack is down");

        await _b.Lifecycle().ChangeAsync(request.Id, r =>
        {
            if (decision == RequestStatus.Approved) { r.Approve("UA", "ann", _b.Time.GetUtcNow()); }
            else if (decision == RequestStatus.Denied) { r.Deny("UA", "ann", _b.Time.GetUtcNow()); }
            else { r.Expire(_b.Time.GetUtcNow()); }
            return true;
        }, default);
        await _b.DrainEffectsAsync();
        int DmsToRequester() => _b.Slack.Posts.Count(p => p.Channel == "USLACKREQ" && p.Text.Contains(request.Id, StringComparison.Ordinal));
        Assert.Equal(0, DmsToRequester());
        Assert.Contains((await RequestAsync(request.Id)).Effects, e => e.Kind == EffectKind.DecisionDm);

        _b.Slack.FailPosts = null;
        await CatchUpAsync();
        await CatchUpAsync();

        Assert.Equal(1, DmsToRequester());
        var word = decision switch { RequestStatus.Approved => "approved", RequestStatus.Denied => "denied", _ => "expired" };
        Assert.Contains(_b.Slack.Posts, p => p.Channel == "USLACKREQ" && p.Text.Contains(word, StringComparison.Ordinal));
        Assert.DoesNotContain((await RequestAsync(request.Id)).Effects, e => e.Kind == EffectKind.DecisionDm);
    }

    [Fact]
    public async Task ChangeFromAws_ItsDecisionRaisesNoDecisionDm()
    {
        var id = await RevertedAsync(25);
        await ApproveAsync(id);
        Assert.DoesNotContain((await RequestAsync(id)).Effects, e => e.Kind == EffectKind.DecisionDm);
    }

    [Fact]
    public async Task TheEffect_IsWrittenWithTheTransition_SoACrashBeforeTheNudge_IsCaughtUp()
    {
        var id = await RevertedAsync(22);
        await _b.DrainEffectsAsync();
        // The decision's write lands; the process dies before its nudge (the send never happens).
        _b.Queue.FailWith = new InvalidOperationException("process died");
        await ApproveAsync(id);
        _b.Queue.FailWith = null;

        var approved = await RequestAsync(id);
        Assert.Contains(approved.Effects, e => e.Kind == EffectKind.Apply);
        Assert.Contains(id, _b.Requests.Indexed);  // the index entry came with the same write
        Assert.Equal(0, await _b.CatchUp().RunAsync(default)); // not overdue yet

        Assert.Equal(1, await CatchUpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(id)).Status);
        Assert.Single(_b.Ec2.Rules, r => r.Description == "p22");
    }

    [Fact]
    public async Task DuplicatedAndReorderedNudges_PerformEachEffectOnce()
    {
        var id = await RevertedAsync(22);
        await ApproveAsync(id, TimeSpan.FromHours(1));
        var nudges = _b.Queue.Sent.Where(s => s.Queue == QueueNames.Effects).Select(s => BridgeJson.Deserialize<EffectsMessage>(s.Json)).ToList();
        Assert.Equal(2, nudges.Count); // the revert's and the approval's

        // The approval's nudge first, then the revert's, then both again, then the apply's nudge twice.
        foreach (var n in new[] { nudges[1], nudges[0], nudges[1], nudges[0] })
        {
            await _b.Effects().HandleAsync(n, 1, default);
        }
        var later = _b.Queue.Sent.Where(s => s.Queue == QueueNames.Effects).Skip(2).Select(s => BridgeJson.Deserialize<EffectsMessage>(s.Json)).ToList();
        foreach (var n in later.Concat(later))
        {
            await _b.Effects().HandleAsync(n, 1, default);
        }

        Assert.Equal(RequestStatus.Applied, (await RequestAsync(id)).Status);
        Assert.Single(_b.Ec2.Rules, r => r.Description == "p22");
        Assert.Equal(1, _b.Slack.Posts.Count(p => p.Channel == "UREQ" && p.Blocks?.ToJsonString().Contains(ActionIds.For(ActionIds.ExtendAccess, id), StringComparison.Ordinal) == true));
        Assert.Equal(0, Dms("reason")); // the reason DM was superseded by the decision: asked of nobody
        Assert.Empty((await RequestAsync(id)).Effects);
    }

    [Fact]
    public async Task Apply_WhileTableStorageRefusesEveryTry_IsReDrivenByTheCatchUp_OnceStorageIsBack()
    {
        var id = await RevertedAsync(22);
        await _b.DrainEffectsAsync();
        await ApproveAsync(id);
        _b.Requests.Down = new SgBridge.Shared.Storage.StorageUnavailableException("storage refused", null);

        var (_, failed) = await _b.DrainEffectsAsync(); // every try fails (the nudge would end in the poison queue)
        Assert.Equal(1, failed);
        _b.Requests.Down = null;

        // Storage is back: the next tick past the wait re-drives it (within StuckAfter + one Interval, two minutes).
        Assert.True(EffectsCatchUp.WorstDelay <= TimeSpan.FromMinutes(2));
        Assert.Equal(1, await CatchUpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(id)).Status);
        Assert.Single(_b.Ec2.Rules, r => r.Description == "p22");
    }

    [Theory]
    [InlineData(QueueFaultKind.Throw)]
    [InlineData(QueueFaultKind.Hang)]
    public async Task StoredPendingRequest_WithTheQueueDown_StillReachesTheApprovers(QueueFaultKind fault)
    {
        _b.Queue.Fault = new QueueFault(QueueNames.Effects, fault, times: 100);
        var clock = Stopwatch.StartNew();

        var id = await RevertedAsync(22);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the revert waited {clock.Elapsed} on the queue");
        Assert.Equal(1, _failures.Seen.Count(f => f.GetValueOrDefault("kind") == RequestLifecycle.NudgeFailureKind));
        Assert.Empty(_b.Slack.Posts);
        _b.Queue.Fault = null;

        Assert.Equal(1, await CatchUpAsync());
        Assert.Contains(_b.Slack.Posts, p => p.Channel == "CAPPROVERS" && p.Blocks?.ToJsonString().Contains(id, StringComparison.Ordinal) == true);
    }
}
