using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The debounced render uses a member's placement snapshot (kept on its membership row) in place of reading the request,
/// only while the thread's version for the member is the snapshot's: counted reads on the fakes, and the races where a
/// snapshot would be stale (a decision during a render, redeliveries, reordered states, Approve all, old rows).
/// </summary>
public class NotificationSnapshotTests : NotificationRig
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public NotificationSnapshotTests()
        : base(T)
    {
    }

    /// <summary>Three pending requests in one batch (the rig's maximum), each notified with the request carried.</summary>
    private async Task<ChangeRequest[]> BatchOfThreeAsync()
    {
        var batch = new[] { await PendingAsync(22), await PendingAsync(23), await PendingAsync(24) };
        foreach (var r in batch)
        {
            Time.Advance(TimeSpan.FromMilliseconds(10));
            await NotifyAsync(Carrying(r));
        }
        return batch;
    }

    /// <summary>Runs every due render queued so far (after the debounce), returning how many ran.</summary>
    private async Task<int> RunDueRendersAsync()
    {
        Time.Advance(TimeSpan.FromSeconds(3));
        var ran = 0;
        while (Rig.Queue.Delayed.TryDequeue(out var queued))
        {
            await NotifyAsync(BridgeJson.Deserialize<RequestNotification>(queued.Json));
            ran++;
        }
        return ran;
    }

    private string ApproversMessage() => Rig.Slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString();

    private static bool ShowsPending(string blocks, string id) => blocks.Contains(ActionIds.For(ActionIds.Approve, id), StringComparison.Ordinal);

    /// <summary>The request as stored, after <paramref name="change"/> (a decision, a reason), with the notification the worker would send.</summary>
    private async Task<ChangeRequest> ChangeAsync(string id, Action<ChangeRequest> change)
    {
        Time.Advance(TimeSpan.FromMilliseconds(50));
        var update = await Rig.Requests.UpdateAsync(id, r =>
        {
            change(r);
            return true;
        }, default);
        return update!.Request;
    }

    private Action<ChangeRequest> Approve => r => r.Approve("UA", "Ann", Time.GetUtcNow());

    [Fact]
    public async Task Placement_WritesTheSnapshotAndTheVersion_InTheTransactionItAlreadyMade()
    {
        var batch = await BatchOfThreeAsync();

        var thread = Rig.Threads.Thread(batch[0].Id)!;
        foreach (var r in batch)
        {
            var member = Rig.Threads.Membership(r.Id)!;
            Assert.Equal(BridgeJson.Serialize(r), BridgeJson.Serialize(member.Snapshot));
            Assert.Equal(r.UpdatedAt, thread.Versions[r.Id]);
        }
        // First sight: 1 transaction + 1 write; each join: 1 transaction. No extra operation for the snapshot.
        Assert.Equal(3, Rig.Threads.Transactions);
    }

    [Fact]
    public async Task DebouncedRender_OfFirstNoticeMembers_IsOneThreadReadAndOneQuery_AndNoRequestRead()
    {
        var batch = await BatchOfThreeAsync();
        var (requestReads, threadReads, queries) = (Rig.Requests.Reads, Rig.Threads.Reads, Rig.Threads.Queries);

        Assert.Equal(1, await RunDueRendersAsync());

        Assert.Equal((0, 1, 1), (Rig.Requests.Reads - requestReads, Rig.Threads.Reads - threadReads, Rig.Threads.Queries - queries));
        var shown = ApproversMessage();
        Assert.All(batch, r => Assert.True(ShowsPending(shown, r.Id), r.Id));
    }

    [Fact]
    public async Task AfterADecisionOfOneMember_TheDebouncedRender_ReadsExactlyThatRequest()
    {
        var batch = await BatchOfThreeAsync();
        Time.Advance(TimeSpan.FromSeconds(1.5)); // the debounced render is due within the decision delay (2 s)
        var approved = await ChangeAsync(batch[1].Id, Approve);
        var writes = Rig.Threads.Writes;

        // A render is already due: the decision only records its version (one conditional write), and schedules nothing.
        await NotifyAsync(Carrying(approved));
        Assert.Equal(writes + 1, Rig.Threads.Writes);
        Assert.Equal(approved.UpdatedAt, Rig.Threads.Thread(batch[0].Id)!.Versions[approved.Id]);
        Assert.Single(Rig.Queue.Delayed);
        var requestReads = Rig.Requests.Reads;

        await RunDueRendersAsync();

        Assert.Equal(requestReads + 1, Rig.Requests.Reads);
        var shown = ApproversMessage();
        Assert.False(ShowsPending(shown, approved.Id));
        Assert.True(ShowsPending(shown, batch[0].Id) && ShowsPending(shown, batch[2].Id));
    }

    [Fact]
    public async Task ADecisionLandingWhileADebouncedRenderRuns_IsShownByARenderThatReadsIt()
    {
        var batch = await BatchOfThreeAsync();
        Time.Advance(TimeSpan.FromSeconds(3));
        var render = BridgeJson.Deserialize<RequestNotification>(Assert.Single(Rig.Queue.Delayed).Json);
        Rig.Queue.Delayed.Clear();
        ChangeRequest? approved = null;
        var afterDecision = 0;
        // After the render read the thread, before it reads the members: the member is approved and its notification handled.
        Rig.Threads.BeforeQuery = async () =>
        {
            approved = await ChangeAsync(batch[2].Id, Approve);
            await NotifyAsync(Carrying(approved));
            afterDecision = Rig.Requests.Reads;
        };

        await NotifyAsync(render);

        // The render whose due time had passed let the decision schedule a new render (the guarantee kept), and its own
        // record conflicted, so it rendered again with the new version: the member was read (once), not taken from its
        // snapshot, and that re-render, having shown everything, took the new schedule with it.
        Assert.NotNull(approved);
        Assert.Equal(afterDecision + 1, Rig.Requests.Reads);
        Assert.False(ShowsPending(ApproversMessage(), approved!.Id));
        Assert.True(ShowsPending(ApproversMessage(), batch[0].Id));
        Assert.Equal(approved.UpdatedAt, Rig.Threads.Thread(batch[0].Id)!.Versions[approved.Id]);
        Assert.Null(Rig.Threads.Thread(batch[0].Id)!.RenderScheduledFor);
        var next = BridgeJson.Deserialize<RequestNotification>(Assert.Single(Rig.Queue.Delayed).Json);
        Assert.True(next.Render); // a debounced render of the batch (it carries no request state)
    }

    [Fact]
    public async Task ARedeliveredJoin_ChangesNoVersion_AndTheRenderStillReadsNoRequest()
    {
        var batch = await BatchOfThreeAsync();
        var thread = Rig.Threads.Thread(batch[0].Id)!;

        await NotifyAsync(Carrying(batch[2]));
        await NotifyAsync(Carrying(batch[1]));

        Assert.Equal(thread.Versions, Rig.Threads.Thread(batch[0].Id)!.Versions);
        var reads = Rig.Requests.Reads;
        await RunDueRendersAsync();
        Assert.Equal(reads, Rig.Requests.Reads);
    }

    [Fact]
    public async Task APendingNoticeRedeliveredAfterTheDecision_NeverMakesTheSnapshotTrustedAgain()
    {
        var batch = await BatchOfThreeAsync();
        var approved = await ChangeAsync(batch[1].Id, Approve);
        await NotifyAsync(Carrying(approved));

        // The first notice arrives again, late (reordered): its older version marks the member to be read from now on.
        await NotifyAsync(Carrying(batch[1]));

        Assert.Equal(SlackThread.Untrusted, Rig.Threads.Thread(batch[0].Id)!.Versions[batch[1].Id]);
        var reads = Rig.Requests.Reads;
        await RunDueRendersAsync();
        Assert.Equal(reads + 1, Rig.Requests.Reads);
        Assert.False(ShowsPending(ApproversMessage(), approved.Id));
    }

    [Fact]
    public async Task AReasonRecordedWhilePending_IsALaterVersion_SoTheRenderReadsTheRequest()
    {
        var batch = await BatchOfThreeAsync();
        var reasoned = await ChangeAsync(batch[0].Id, r => r.RecordReason("deploying the new api", "UALICE", Time.GetUtcNow()));

        await NotifyAsync(Carrying(reasoned));

        Assert.Equal(reasoned.UpdatedAt, Rig.Threads.Thread(batch[0].Id)!.Versions[reasoned.Id]);
        var reads = Rig.Requests.Reads;
        await RunDueRendersAsync();
        Assert.Equal(reads + 1, Rig.Requests.Reads);
    }

    [Fact]
    public async Task ApproveAll_ChangesEveryMember_SoTheRenderReadsEveryMember_AndShowsNoneAsPending()
    {
        var batch = await BatchOfThreeAsync();
        await RunDueRendersAsync();
        var approved = new List<ChangeRequest>();
        foreach (var r in batch)
        {
            approved.Add(await ChangeAsync(r.Id, Approve));
        }
        // The three decisions' notifications handled at once, racing for the thread row.
        await Task.WhenAll(approved.Select(a => Task.Run(() => NotifyAsync(Carrying(a)))));
        var thread = Rig.Threads.Thread(batch[0].Id)!;
        Assert.All(approved, a => Assert.Equal(a.UpdatedAt, thread.Versions[a.Id]));
        var reads = Rig.Requests.Reads;

        await RunDueRendersAsync();

        Assert.Equal(reads + 3, Rig.Requests.Reads);
        var shown = ApproversMessage();
        Assert.All(batch, r => Assert.False(ShowsPending(shown, r.Id), r.Id));
    }

    [Fact]
    public async Task RowsOfThePreviousLayout_WithoutSnapshotsOrVersions_AreRead_WithoutAQuery()
    {
        var batch = new[] { await PendingAsync(22), await PendingAsync(23), await PendingAsync(24) };
        await Rig.Threads.ShowAtHomeAsync("CAPPROVERS", "1.1", batch);
        var row = SlackRows.Thread(SlackRows.HomeOf(batch[0]), batch[0].Id);
        var stored = (await Rig.Threads.GetAsync(row, default))!;
        var due = Time.GetUtcNow().AddSeconds(3);
        await Rig.Threads.WriteAsync(row, stored.Value with { MonitoringMessage = new SlackMessageRef("CMONITOR", "1.2"), RenderScheduledFor = due }, stored.ETag, default);
        Time.Advance(TimeSpan.FromSeconds(3));
        var (reads, queries) = (Rig.Requests.Reads, Rig.Threads.Queries);

        await NotifyAsync(new RequestNotification(batch[0].Id, RequestStatus.Pending, Render: true, DueAt: due, Home: SlackRows.HomeOf(batch[0])));

        Assert.Equal((3, 0), (Rig.Requests.Reads - reads, Rig.Threads.Queries - queries));
        Assert.All(batch, r => Assert.True(ShowsPending(ApproversMessage(), r.Id), r.Id));
    }

    [Fact]
    public async Task VersionsWithoutSnapshots_AreQueried_ThenRead()
    {
        var batch = await BatchOfThreeAsync();
        // Membership rows as written before snapshots existed (same batch, no snapshot).
        var home = SlackRows.HomeOf(batch[0]);
        foreach (var r in batch)
        {
            var m = (await Rig.Threads.GetAsync(SlackRows.Member(home, r.Id), default))!;
            await Rig.Threads.WriteAsync(SlackRows.Member(home, r.Id), new ThreadMembership(batch[0].Id), m.ETag, default);
        }
        var reads = Rig.Requests.Reads;

        await RunDueRendersAsync();

        Assert.Equal(reads + 3, Rig.Requests.Reads);
    }

    [Fact]
    public void Snapshot_IsKeptOnlyWhileItFitsOneInlineColumn()
    {
        var small = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(small.EventId), small, T);
        Assert.Same(r, NotificationState.SnapshotOf(r));
        var large = small with { Rules = Enumerable.Range(1, 600).Select(p => TestData.Tcp(p, $"10.{p / 256}.{p % 256}.0/24", new string('d', 40))).ToArray() };
        var big = ChangeRequest.Open(RequestId.For(large.EventId), large, T);
        Assert.True(BridgeJson.Serialize(big).Length > NotificationState.MaxSnapshotChars);
        Assert.Null(NotificationState.SnapshotOf(big));
    }

    [Fact]
    public void WithVersion_MovesForwardOnly_AndAnEarlierOrUnrenderedStateMarksTheMemberToBeRead()
    {
        var thread = SlackThread.Start("SG-A", "k", T);
        var v1 = thread.WithVersion("SG-B", T);
        Assert.Equal(T, v1.Versions["SG-B"]);
        Assert.Same(v1, v1.WithVersion("SG-B", T));
        var v2 = v1.WithVersion("SG-B", T.AddSeconds(1));
        Assert.Equal(T.AddSeconds(1), v2.Versions["SG-B"]);
        var back = v2.WithVersion("SG-B", T);
        Assert.Equal(SlackThread.Untrusted, back.Versions["SG-B"]);
        Assert.Equal(SlackThread.Untrusted, back.WithVersion("SG-B", T.AddYears(1)).Versions["SG-B"]);
        Assert.Equal(SlackThread.Untrusted, v1.WithVersion("SG-B", T, trusted: false).Versions["SG-B"]);
        var snapshot = ChangeRequest.Open("SG-B", TestData.Change(ChangeKind.Add), T);
        Assert.False(NotificationState.Trusts(back with { MemberIds = ["SG-A", "SG-B"] }, snapshot));
        Assert.True(NotificationState.Trusts(v1 with { MemberIds = ["SG-A", "SG-B"] }, snapshot));
        Assert.False(NotificationState.Trusts(v1, snapshot)); // not a member of this batch
    }
}
