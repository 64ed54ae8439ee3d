using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The "access ended" notice (monitoring thread + requester DM) is told once per request by concurrent runners, and at
/// least once across crashes: it repeats only after a crash between the posts and the write that records them, and a
/// runner that died after claiming it is taken over after <see cref="AccessNotifier.NoticeClaimTimeout"/>.
/// </summary>
public sealed class AccessEndNoticeTests
{
    private readonly Bridge _b = new();

    public AccessEndNoticeTests() => _b.Slack.UsersByEmail["alice@example.com"] = "UREQ";

    private SweepService Worker() => new(_b.Reconciler(), _b.Baseline(), _b.Groups, _b.Ec2, _b.Lifecycle(), _b.Queue, O.Create(_b.Reconcile), O.Create(_b.Policy), _b.Time,
        NullLogger<SweepService>.Instance, _b.Telemetry, _b.AccessExpiry());

    /// <summary>"Access of … ended" (expired) or "Access of … revoked early" in the monitoring channel.</summary>
    private int Notices(string id) => _b.Slack.Posts.Count(p => p.Channel == "CMONITOR" && p.Text.Contains($"Access of {id}", StringComparison.Ordinal));

    private int RequesterNotices(string id) => _b.Slack.Posts.Count(p => p.Channel == "UREQ" && p.Text.Contains($"Access of {id}", StringComparison.Ordinal));

    private async Task<ChangeRequest> LiveAccessAsync(TimeSpan duration)
    {
        _b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _b.OnboardAsync();
        var added = _b.Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "ssh"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        await _b.Processor().ProcessAsync(change, 1, default);
        var id = _b.Request(change).Id;
        await _b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", _b.Time.GetUtcNow(), duration); return true; }, default);
        Assert.Equal(RequestStatus.Applied, await _b.TimeBoundApplier().ApplyAsync(new ApplyCommand(id), 1, default));
        await _b.Threads.ShowAsync("CAPPROVERS", "1001.000100", id);
        _b.Queue.Sent.Clear();
        return (await _b.Requests.GetAsync(id, default))!.Value;
    }

    [Fact]
    public async Task QueuedRevokeAndTheTick_FinishTheSameEndAtOnce_PeopleAreToldOnce()
    {
        var r = await LiveAccessAsync(TimeSpan.FromHours(8));
        await _b.AccessDecisions().RevokeAsync(new SlackInteraction
        {
            UserId = "UA", ChannelId = "CAPPROVERS", MessageTs = "1001.000100", ResponseUrl = "https://hooks.slack.com/x",
            ActionId = ActionIds.For(ActionIds.RevokeAccess, r.Id), Value = r.Id,
        }, default);
        var command = Assert.Single(_b.Queue.On<ReconcileCommand>(QueueNames.Reconcile));
        var requesterBefore = RequesterNotices(r.Id);

        // The tick runs to the end in the middle of the queued worker's claim of the notice.
        _b.Threads.BeforeWrite = ("accessended", () => _b.AccessExpiry().ExpireDueAsync(default));
        await Worker().HandleAsync(command, default);

        Assert.Null(_b.Threads.BeforeWrite); // the interleaving happened
        Assert.Equal(1, Notices(r.Id));
        Assert.Equal(requesterBefore + 1, RequesterNotices(r.Id));
        Assert.DoesNotContain(_b.Ec2.Rules, x => x.Description == "ssh");
        Assert.DoesNotContain(_b.Expiries.All, e => e.Kind == AccessEndKind.Revoke);
    }

    [Fact]
    public async Task CrashBetweenThePostsAndTheirRecord_TheNoticeRepeatsOnce_AfterTheClaimTimesOut_NeverLost()
    {
        var r = await LiveAccessAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        // The claim is written; the write that records the posts never happens (the process dies there).
        _b.Threads.BeforeWrite = ("accessended", () =>
        {
            _b.Threads.BeforeWrite = ("accessended", () => throw new OperationCanceledException("the host stopped"));
            return Task.CompletedTask;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _b.AccessExpiry().ExpireDueAsync(default));
        Assert.Equal(1, Notices(r.Id));
        Assert.Single(_b.Expiries.All); // the row stays: the work is not finished

        // A tick while the claim is fresh: someone may still be posting, so it waits (and keeps the row).
        _b.Time.Advance(AccessNotifier.NoticeClaimTimeout - TimeSpan.FromSeconds(1));
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.Equal(1, Notices(r.Id));
        Assert.Single(_b.Expiries.All);

        // The claim is stale: taken over, told again (the one repeat at-least-once allows), recorded, the row goes.
        _b.Time.Advance(TimeSpan.FromSeconds(1));
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.Equal(2, Notices(r.Id));
        Assert.Empty(_b.Expiries.All);

        _b.Time.Advance(TimeSpan.FromHours(1));
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.Equal(2, Notices(r.Id));
        Assert.Equal(RequestStatus.AccessEnded, (await _b.Requests.GetAsync(r.Id, default))!.Value.Status);
    }

    [Fact]
    public async Task RowDeleteLost_AfterTheNoticeWasRecorded_TheNextTickTellsNobodyAgain()
    {
        var r = await LiveAccessAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        await _b.AccessExpiry().ExpireDueAsync(default);
        Assert.Equal(1, Notices(r.Id));

        // As if the row's delete had been lost: the same row comes due again.
        await _b.Expiries.AddAsync(new AccessExpiryEntry(r.AccessUntil!.Value, r.Id, TestData.Account, TestData.Region, TestData.GroupId), default);
        _b.Time.Advance(AccessNotifier.NoticeClaimTimeout);
        await _b.AccessExpiry().ExpireDueAsync(default);

        Assert.Equal(1, Notices(r.Id));
        Assert.Empty(_b.Expiries.All);
    }
}
