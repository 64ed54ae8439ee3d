using SgBridge.Shared.Aws;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// Time-bound access ends: the apply writes the expiry and its index row, the tick takes the rule out of the approved
/// state and AWS, and every interruption (crash between the writes, AWS failing, Slack failing, a late tick) ends
/// done or visibly failed.
/// </summary>
public class AccessExpiryServiceTests
{
    private readonly Bridge _b = new();
    private bool _onboarded;

    public AccessExpiryServiceTests() => _b.Slack.UsersByEmail["alice@example.com"] = "UREQ";

    private async Task<ChangeRequest> ApprovedAsync(TimeSpan? duration, int port = 22, string description = "ssh")
    {
        if (!_onboarded)
        {
            _onboarded = true;
            _b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
            await _b.OnboardAsync();
        }
        var added = _b.Ec2.AddExisting(TestData.Tcp(port, "10.0.0.0/8", description));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        await _b.Processor().ProcessAsync(change, 1, default);
        var id = _b.Request(change).Id;
        // The revert's effects run before an approver can click (the click is on the message they post).
        await _b.DrainEffectsAsync();
        await _b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", _b.Time.GetUtcNow(), duration); return true; }, default);
        Assert.Equal(RequestStatus.Applied, await _b.TimeBoundApplier().ApplyAsync(id, 1, default));
        await _b.DrainEffectsAsync(); // the transitions' effects: messages, the access-granted DM
        return (await _b.Requests.GetAsync(id, default))!.Value;
    }

    /// <summary>One expiry tick, then the effects its transitions raised (the notices), as the effects worker performs them.</summary>
    private async Task<AccessExpirySummary> TickAsync()
    {
        var summary = await _b.AccessExpiry().ExpireDueAsync(default);
        await _b.DrainEffectsAsync();
        return summary;
    }

    /// <summary>A DM to the requester about access (granted, ended), not the revert's "give a reason" DM.</summary>
    private static bool AccessDm((string Channel, string Text, System.Text.Json.Nodes.JsonArray? Blocks, string? ThreadTs) p) => p.Channel == "UREQ" && !p.Text.Contains("reverted your change", StringComparison.Ordinal);

    private bool InAws(string description) => _b.Ec2.Rules.Any(r => r.Description == description);

    private async Task<bool> ApprovedNowAsync(string description) => (await _b.ApprovedAsync()).Any(r => r.Description == description);

    private async Task<RequestStatus> StatusAsync(string id) => (await _b.Requests.GetAsync(id, default))!.Value.Status;

    [Fact]
    public async Task Apply_TimeBound_PutsTheRuleInWithItsExpiry_AndAnIndexRow_AndTellsTheRequesterWithExtend()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));

        Assert.True(InAws("ssh"));
        var group = (await _b.Groups.GetAsync(TestData.Account, TestData.Region, TestData.GroupId, default))!.Value;
        Assert.Equal(_b.Time.GetUtcNow().AddHours(1), group.Rules.Single(x => x.Rule.Description == "ssh").ExpiresAt);
        Assert.Equal((r.Id, _b.Time.GetUtcNow().AddHours(1)), (Assert.Single(_b.Expiries.All).RequestId, _b.Expiries.All[0].DueAt));
        var dm = Assert.Single(_b.Slack.Posts, AccessDm);
        Assert.Contains(ActionIds.For(ActionIds.ExtendAccess, r.Id), dm.Blocks!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_Permanent_WritesNoIndexRowAndNoExpiry()
    {
        await ApprovedAsync(null);

        Assert.Empty(_b.Expiries.All);
        Assert.DoesNotContain(_b.Slack.Posts, AccessDm);
    }

    [Fact]
    public async Task Tick_BeforeDue_ChangesNothing_AtDue_RevokesAndEndsAndTells()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromMinutes(59));

        Assert.Equal(0, (await TickAsync()).Due);
        Assert.True(InAws("ssh"));

        _b.Time.Advance(TimeSpan.FromMinutes(1));
        var summary = await TickAsync();

        Assert.Equal(new AccessExpirySummary(1, 1, 0, 0), summary);
        Assert.False(InAws("ssh"));
        Assert.True(InAws("https"));
        Assert.False(await ApprovedNowAsync("ssh"));
        var ended = (await _b.Requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Expired), (ended.Status, ended.AccessEndReason));
        Assert.Empty(_b.Expiries.All);
        Assert.Contains(_b.Slack.Posts, p => p.Channel == "CMONITOR" && p.Text.Contains(r.Id, StringComparison.Ordinal) && p.Text.Contains("ended", StringComparison.Ordinal));
        Assert.Equal(2, _b.Slack.Posts.Count(AccessDm)); // granted, then ended
    }

    [Fact]
    public async Task Tick_HoursLate_CatchesUpEveryOverdueExpiryInOneTick()
    {
        var a = await ApprovedAsync(TimeSpan.FromHours(1), 22, "ssh");
        var b = await ApprovedAsync(TimeSpan.FromHours(8), 3389, "rdp");
        var c = await ApprovedAsync(TimeSpan.FromDays(7), 5432, "pg");
        _b.Time.Advance(TimeSpan.FromHours(9)); // the app was down

        var summary = await TickAsync();

        Assert.Equal((2, 2), (summary.Due, summary.Ended));
        Assert.False(InAws("ssh"));
        Assert.False(InAws("rdp"));
        Assert.True(InAws("pg"));
        Assert.Equal(RequestStatus.Applied, await StatusAsync(c.Id));
        Assert.Equal([RequestStatus.AccessEnded, RequestStatus.AccessEnded], [await StatusAsync(a.Id), await StatusAsync(b.Id)]);
    }

    [Fact]
    public async Task Tick_CrashAfterTheApprovedStateLostTheRule_BeforeTheRevoke_NextTickRevokes()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(2));
        // The first tick wrote the approved state and died before it revoked: the row is still there.
        await _b.Groups.UpdateAsync(TestData.Account, TestData.Region, TestData.GroupId, g => g.RemoveExpired(_b.Time.GetUtcNow()).Count > 0, default);
        Assert.True(InAws("ssh"));

        await TickAsync();

        Assert.False(InAws("ssh"));
        Assert.Equal(RequestStatus.AccessEnded, await StatusAsync(r.Id));
        Assert.Empty(_b.Expiries.All);
    }

    [Fact]
    public async Task Tick_CrashAfterTheRevoke_BeforeTheRowWasDeleted_EndsOnceMore_WithoutAnotherAwsWrite()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        var row = Assert.Single(_b.Expiries.All);
        await TickAsync();
        await _b.Expiries.AddAsync(row, default); // as if the delete never happened
        _b.Ec2.Writes.Clear();

        var again = await TickAsync();

        Assert.Equal(1, again.Ended);
        Assert.Empty(_b.Ec2.Writes);
        Assert.Empty(_b.Expiries.All);
        Assert.Equal(RequestStatus.AccessEnded, await StatusAsync(r.Id));
    }

    [Fact]
    public async Task Tick_AwsFails_KeepsTheRow_CountsAFailure_AlertsOnce_ThenSucceedsNextTick()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        _b.Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        _b.Ec2.ThrowTimes = 2;
        var failures = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Name == "sgbridge.failures") { l.EnableMeasurementEvents(i); } };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) => { foreach (var t in tags) { if (t.Value as string == "access_expiry") { failures += v; } } });
        listener.Start();

        Assert.Equal(1, (await TickAsync()).Failed);
        Assert.Equal(1, (await TickAsync()).Failed);

        Assert.True(InAws("ssh"));
        Assert.False(await ApprovedNowAsync("ssh")); // out of the approved state: any reconcile now removes it too
        Assert.Equal(2, Assert.Single(_b.Expiries.All).Attempts);
        Assert.Equal(2, failures);
        Assert.Single(_b.Slack.Posts, p => p.Channel == "CMONITOR" && p.Text.Contains("Could not end", StringComparison.Ordinal));
        Assert.Equal(RequestStatus.Applied, await StatusAsync(r.Id));

        Assert.Equal(1, (await TickAsync()).Ended);
        Assert.False(InAws("ssh"));
        Assert.Equal(RequestStatus.AccessEnded, await StatusAsync(r.Id));
    }

    [Fact]
    public async Task Tick_MemberRoleMissing_IsASkippedAccount_TriedAtTheSweepInterval_NotEveryMinute_ThenEndsWhenTheRoleIsBack()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        _b.Ec2.Deny = new SgBridge.Shared.Aws.RoleNotAssumableException(TestData.Account, "arn:aws:iam::111111111111:role/SgBridgeExecutionRole", new InvalidOperationException("AccessDenied"));
        var failures = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Name == "sgbridge.failures") { l.EnableMeasurementEvents(i); } };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) => { foreach (var t in tags) { if (t.Key == "kind") { failures.Add((string)t.Value!); } } });
        listener.Start();

        var first = await TickAsync();
        Assert.Equal((1, 0, 0), (first.Skipped, first.Failed, first.Ended));
        // The account's state says so, the row waits for the sweep's interval, monitoring is told once.
        var known = (await _b.KnownAccounts.GetAsync(TestData.Account, default))!;
        Assert.Equal(SgBridge.Shared.Reconcile.AccountSkips.RoleNotDeployed, known.Skip!.Reason);
        var row = Assert.Single(_b.Expiries.All);
        Assert.Equal(_b.Time.GetUtcNow() + _b.Reconcile.Interval, row.DueAt);

        // Ticks every minute until then do nothing with it: no retry, no failure, no new message.
        for (var i = 0; i < 14; i++)
        {
            _b.Time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(0, (await TickAsync()).Due);
        }
        // At the interval it tries again, still skipped: a day's one warning already given, the thread told once.
        _b.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await TickAsync()).Skipped);
        Assert.Equal(["account_skipped"], failures);
        Assert.Single(_b.Slack.Posts, p => p.Channel == "CMONITOR" && p.Text.Contains("skipped", StringComparison.Ordinal) && p.Text.Contains(TestData.Account, StringComparison.Ordinal));
        Assert.Single(_b.Slack.Posts, p => p.Channel == "CMONITOR" && p.Text.Contains("Could not end", StringComparison.Ordinal));
        Assert.Equal(RequestStatus.Applied, await StatusAsync(r.Id));
        Assert.True(InAws("ssh"));

        // The role is back: the next try ends the access.
        _b.Ec2.Deny = null;
        _b.Time.Advance(_b.Reconcile.Interval);
        Assert.Equal(1, (await TickAsync()).Ended);
        Assert.False(InAws("ssh"));
        Assert.Equal(RequestStatus.AccessEnded, await StatusAsync(r.Id));
        Assert.Empty(_b.Expiries.All);
    }

    [Fact]
    public async Task Tick_SlackDown_StillRevokes_AndCountsTheLostNotice()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        _b.Time.Advance(TimeSpan.FromHours(1));
        _b.Slack.FailPosts = new SlackApiException("chat.postMessage", "fatal_error");

        Assert.Equal(1, (await TickAsync()).Ended);

        Assert.False(InAws("ssh"));
        Assert.Equal(RequestStatus.AccessEnded, await StatusAsync(r.Id));
        Assert.Empty(_b.Expiries.All);
    }

    [Fact]
    public async Task Tick_AccessExtendedMeanwhile_MovesTheRowToTheNewExpiry()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        // A longer approval of the same access (as an extension is) moved the expiry; its row was lost (worst case).
        await _b.Groups.UpdateAsync(TestData.Account, TestData.Region, TestData.GroupId, g =>
        {
            var longer = ChangeRequest.OpenExtension(RequestId.For("x"), r, _b.Time.GetUtcNow());
            longer.Approve("UA", null, _b.Time.GetUtcNow(), TimeSpan.FromHours(8));
            return g.ApplyRequest(longer, _b.Time.GetUtcNow());
        }, default);
        _b.Time.Advance(TimeSpan.FromHours(1));

        var summary = await TickAsync();

        Assert.Equal(1, summary.Rescheduled);
        Assert.True(InAws("ssh"));
        Assert.Equal(RequestStatus.Applied, await StatusAsync(r.Id));
        Assert.Equal(_b.Time.GetUtcNow().AddHours(7), Assert.Single(_b.Expiries.All).DueAt);
        _b.Time.Advance(TimeSpan.FromHours(7));
        await TickAsync();
        Assert.False(InAws("ssh"));
    }

    [Fact]
    public async Task Apply_IndexUnwritable_FailsBeforeTheAccessIsGranted()
    {
        _b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _b.OnboardAsync();
        var added = _b.Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "ssh"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        await _b.Processor().ProcessAsync(change, 1, default);
        var id = _b.Request(change).Id;
        // The revert's effects run before an approver can click (the click is on the message they post).
        await _b.DrainEffectsAsync();
        await _b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", _b.Time.GetUtcNow(), TimeSpan.FromHours(1)); return true; }, default);
        _b.Expiries.FailWrites = new SgBridge.Shared.Storage.StorageUnavailableException("storage down", null);

        await Assert.ThrowsAsync<SgBridge.Shared.Storage.StorageUnavailableException>(() => _b.TimeBoundApplier().ApplyAsync(id, 1, default));

        Assert.False(InAws("ssh")); // never granted without a way to take it back
        Assert.Equal(RequestStatus.Approved, await StatusAsync(id));
    }

    [Fact]
    public async Task Tick_HandlesAtMostExpiryBatchSize_EarliestFirst_TheRestNextTick()
    {
        _b.Approvals.ExpiryBatchSize = 1;
        var early = await ApprovedAsync(TimeSpan.FromHours(1), 22, "ssh");
        var late = await ApprovedAsync(TimeSpan.FromHours(2), 3389, "rdp");
        _b.Time.Advance(TimeSpan.FromHours(3));

        Assert.Equal(1, (await TickAsync()).Ended);
        Assert.Equal((RequestStatus.AccessEnded, RequestStatus.Applied), (await StatusAsync(early.Id), await StatusAsync(late.Id)));

        Assert.Equal(1, (await TickAsync()).Ended);
        Assert.False(InAws("rdp"));
    }

    [Fact]
    public async Task RevokedEarly_ThenTheExpiryComesDue_RevokesOnce_AndTellsOnce()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        await _b.Threads.ShowAtHomeAsync("CAPPROVERS", "1001.000100", r);
        var click = new SlackInteraction
        {
            UserId = "UA", ChannelId = "CAPPROVERS", MessageTs = "1001.000100",
            ActionId = ActionIds.For(ActionIds.RevokeAccess, r.Id), Value = r.Id,
        };

        Assert.Equal(DecisionOutcome.Denied, (await _b.ClickAsync(click)).Outcome);
        Assert.Equal(DecisionOutcome.AlreadyDecided, (await _b.ClickAsync(click)).Outcome);
        Assert.True(InAws("ssh"));
        Assert.False(await ApprovedNowAsync("ssh"));
        await TickAsync();
        Assert.False(InAws("ssh"));
        _b.Time.Advance(TimeSpan.FromHours(2));
        _b.Ec2.Writes.Clear();
        await TickAsync();

        Assert.Empty(_b.Ec2.Writes);
        Assert.Empty(_b.Expiries.All);
        Assert.Single(_b.Slack.Posts, p => p.Channel == "CMONITOR" && p.Text.Contains("revoked early", StringComparison.Ordinal));
        Assert.DoesNotContain(_b.Slack.Posts, p => p.Text.Contains($"Access of {r.Id} ended", StringComparison.Ordinal));
        var ended = (await _b.Requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal((AccessEndReason.Revoked, "UA"), (ended.AccessEndReason!.Value, ended.AccessEndedBy));
    }

    [Fact]
    public async Task Revoke_ByANonApprover_OrFromAnotherMessage_ChangesNothing()
    {
        var r = await ApprovedAsync(TimeSpan.FromHours(1));
        await _b.Threads.ShowAtHomeAsync("CAPPROVERS", "1001.000100", r);
        SlackInteraction Click(string user, string ts) => new()
        {
            UserId = user, ChannelId = "CAPPROVERS", MessageTs = ts,
            ActionId = ActionIds.For(ActionIds.RevokeAccess, r.Id), Value = r.Id,
        };

        Assert.Equal(DecisionOutcome.NotAnApprover, (await _b.ClickAsync(Click("UMALLORY", "1001.000100"))).Outcome);
        Assert.Equal(DecisionOutcome.NotOnThisMessage, (await _b.ClickAsync(Click("UA", "9999.000100"))).Outcome);

        Assert.True(await ApprovedNowAsync("ssh"));
        Assert.Equal(RequestStatus.Applied, await StatusAsync(r.Id));
        Assert.Single(_b.Expiries.All); // only the expiry row: no revoke row was written
    }

    [Fact]
    public async Task Tick_RequestPurgedBeforeItsExpiry_StillRevokesTheRunOutRule()
    {
        await ApprovedAsync(TimeSpan.FromDays(7));
        // Storage:Retention shorter than the approval purged the request: the row names a request that is gone.
        var row = Assert.Single(_b.Expiries.All);
        await _b.Expiries.RemoveAsync(row, default);
        await _b.Expiries.AddAsync(row with { RequestId = "SG-GONE0000" }, default);
        _b.Time.Advance(TimeSpan.FromDays(7));

        await TickAsync();

        Assert.False(InAws("ssh"));
        Assert.True(InAws("https"));
        Assert.False(await ApprovedNowAsync("ssh"));
        Assert.Empty(_b.Expiries.All);
    }
}
