using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

/// <summary>A burst of changes becomes one shared message per requester and group, with exactly-once decisions kept.</summary>
public class BatchingTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T);
    private readonly SlackOptions _options = new()
    {
        BotToken = "xoxb-t", SigningSecret = SlackSigning.Secret, ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR",
        ApproverUserIds = "UA,UB", BatchWindow = TimeSpan.FromMinutes(2), BatchMaxSize = 3, BatchRenderDelay = TimeSpan.FromSeconds(3),
    };
    private readonly SlackRig _rig;

    public BatchingTests()
    {
        _rig = new SlackRig(_options, _time);
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
        _rig.Slack.UsersByEmail["bob@example.com"] = "UBOB";
    }

    private InMemoryRequestStore _requests => _rig.Requests;
    private RecordingQueue _queue => _rig.Queue;
    private RecordingSlackClient _slack => _rig.Slack;

    private NotificationService Notifier() => _rig.Notifier();

    private async Task<ChangeRequest> PendingAsync(int port, string groupId = TestData.GroupId, Requester? requester = null)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString(), requester: requester) with { GroupId = groupId, Rules = [TestData.Tcp(port, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, _time.GetUtcNow());
        r.MarkReverted(new CallOutcome("revoke", true), _time.GetUtcNow());
        await _requests.AddOrGetAsync(r, default);
        return r;
    }

    private Task NotifyAsync(ChangeRequest r) => Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _rig.Requests);

    /// <summary>Runs the debounced renders the notifier scheduled, as the queue would after their delay.</summary>
    private async Task RunScheduledRendersAsync()
    {
        _time.Advance(_options.BatchRenderDelay);
        while (_queue.Delayed.TryDequeue(out var delayed))
        {
            await Notifier().DeliverAsync(delayed.Json);
        }
    }

    private Task<DecisionResult> ClickAsync(string action, string value, string user = "UA") => _rig.ClickAsync(action, value, user);

    [Fact]
    public async Task Burst_SameRequesterAndGroup_SharesOneMessagePerChannel_AndOneDebouncedUpdate()
    {
        var first = await PendingAsync(22);
        var stored = new Dictionary<string, string>(StringComparer.Ordinal) { [first.Id] = (await _requests.GetAsync(first.Id, default))!.ETag };
        await NotifyAsync(first);
        Assert.Equal(2, _slack.Posts.Count);

        var second = await PendingAsync(3389);
        var third = await PendingAsync(5432);
        stored[second.Id] = (await _requests.GetAsync(second.Id, default))!.ETag;
        stored[third.Id] = (await _requests.GetAsync(third.Id, default))!.ETag;
        await NotifyAsync(second);
        await NotifyAsync(third);

        // Joining changes post nothing new; one render is scheduled for both, after the debounce delay.
        Assert.Equal(2, _slack.Posts.Count);
        var render = Assert.Single(_queue.Delayed);
        Assert.Equal((QueueNames.Effects, TimeSpan.FromSeconds(3)), (render.Queue, render.Delay));

        await RunScheduledRendersAsync();

        Assert.Equal(2, _slack.Posts.Count);
        Assert.Equal(2, _slack.Updates.Count);
        var approvers = _slack.Updates.Single(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString();
        foreach (var id in new[] { first.Id, second.Id, third.Id })
        {
            Assert.Contains(id, approvers, StringComparison.Ordinal);
        }
        Assert.Contains(ActionIds.ApproveAll, approvers, StringComparison.Ordinal);
        var thread = _rig.Threads.Thread(first.Id)!;
        Assert.Equal([first.Id, second.Id, third.Id], thread.MemberIds);
        Assert.Null(thread.RenderScheduledFor);
        // The batch lives in its own rows: the requests were never written by the notifier.
        foreach (var (id, etag) in stored)
        {
            Assert.Equal(etag, (await _requests.GetAsync(id, default))!.ETag);
        }
    }

    /// <summary>Two notifier instances over the same stores, three pending changes of one batch, the first one posted by <c>a</c>.</summary>
    private async Task<(NotificationService A, NotificationService B, ChangeRequest First, ChangeRequest Second, ChangeRequest Third)> TwoInstancesAndAStartedBatchAsync()
    {
        var a = Notifier();
        var b = _rig.Over(_rig.Requests, _rig.Threads, _slack).GetRequiredService<NotificationService>();
        var first = await PendingAsync(22);
        var second = await PendingAsync(3389);
        var third = await PendingAsync(5432);
        await a.NotifyAsync(new RequestNotification(first.Id, first.Status), _requests);
        return (a, b, first, second, third);
    }

    private void AssertApproversShow(params ChangeRequest[] requests)
    {
        var approvers = _slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString();
        foreach (var r in requests)
        {
            Assert.Contains(r.Id, approvers, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DebouncedRender_FromAStaleHint_AnotherInstanceJoinedMeanwhile_EndsShowingEveryMember()
    {
        var (a, b, first, second, third) = await TwoInstancesAndAStartedBatchAsync();
        await a.NotifyAsync(new RequestNotification(second.Id, second.Status), _requests); // schedules the render; a's hint names it
        await b.NotifyAsync(new RequestNotification(third.Id, third.Status), _requests);   // joins on the other instance: a's hint is stale

        _time.Advance(_options.BatchRenderDelay);
        await a.DeliverAsync(Assert.Single(_queue.Delayed).Json);

        AssertApproversShow(first, second, third);
        var thread = _rig.Threads.Thread(first.Id)!;
        Assert.Equal([first.Id, second.Id, third.Id], thread.MemberIds);
        Assert.Null(thread.RenderScheduledFor);
    }

    [Fact]
    public async Task DebouncedRender_AJoinSchedulesTheNextWhileItRenders_StopsAndTheNextShowsTheJoin()
    {
        var (a, b, first, second, third) = await TwoInstancesAndAStartedBatchAsync();
        await a.NotifyAsync(new RequestNotification(second.Id, second.Status), _requests);
        _time.Advance(_options.BatchRenderDelay);
        Assert.True(_queue.Delayed.TryDequeue(out var due));
        // While the due render is in Slack, the third change joins on the other instance and schedules the next render.
        _rig.Threads.BeforeWrite = ("thread-" + first.Id, () => b.NotifyAsync(new RequestNotification(third.Id, third.Status), _requests));
        var before = _slack.Updates.Count(u => u.Channel == "CAPPROVERS");

        await a.DeliverAsync(due.Json);

        // The render's record is refused by the join; it stops (the next render is on its way) instead of rendering again.
        Assert.Equal(before + 1, _slack.Updates.Count(u => u.Channel == "CAPPROVERS"));
        Assert.DoesNotContain(third.Id, _slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString(), StringComparison.Ordinal);
        var next = Assert.Single(_queue.Delayed);
        Assert.NotNull(_rig.Threads.Thread(first.Id)!.RenderScheduledFor);

        await RunScheduledRendersAsync();

        AssertApproversShow(first, second, third);
        Assert.Null(_rig.Threads.Thread(first.Id)!.RenderScheduledFor);
    }

    [Fact]
    public async Task Join_ScheduleWrittenButItsMessageLost_TheRetrySendsItAgain_AndTheRenderShowsTheJoin()
    {
        var a = Notifier();
        var first = await PendingAsync(22);
        var second = await PendingAsync(3389);
        await a.NotifyAsync(new RequestNotification(first.Id, first.Status), _requests);
        _queue.FailWith = new InvalidOperationException("queue refused");

        // The join writes the batch with its render scheduled, then the render's message is refused: the effect stays pending.
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.ShowAsync(second, retry: false, default));
        Assert.NotNull(_rig.Threads.Thread(first.Id)!.RenderScheduledFor);
        Assert.Empty(_queue.Delayed);

        // The retry finds the request placed and a render due with no message on its way: it sends that message again.
        _queue.FailWith = null;
        await a.ShowAsync(second, retry: true, default);
        Assert.Single(_queue.Delayed);
        await RunScheduledRendersAsync();

        var approvers = _slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString();
        Assert.Contains(second.Id, approvers, StringComparison.Ordinal);
        Assert.Null(_rig.Threads.Thread(first.Id)!.RenderScheduledFor);
    }

    [Fact]
    public async Task Burst_OtherGroupOrRequester_GetsItsOwnMessage()
    {
        await NotifyAsync(await PendingAsync(22));
        await NotifyAsync(await PendingAsync(22, groupId: "sg-0fedcba9876543210"));
        await NotifyAsync(await PendingAsync(22, requester: TestData.SsoUser("bob@example.com")));
        Assert.Equal(6, _slack.Posts.Count);
        Assert.Empty(_queue.Delayed);
    }

    [Fact]
    public async Task Batch_IsCappedAtItsMaxSize_ThenANewOneStarts()
    {
        for (var i = 0; i < 4; i++)
        {
            await NotifyAsync(await PendingAsync(1000 + i));
        }
        Assert.Equal(4, _slack.Posts.Count);
    }

    [Fact]
    public async Task Batch_AfterTheWindow_StartsANewMessage()
    {
        await NotifyAsync(await PendingAsync(22));
        _time.Advance(TimeSpan.FromMinutes(3));
        await NotifyAsync(await PendingAsync(23));
        Assert.Equal(4, _slack.Posts.Count);
    }

    [Fact]
    public async Task ApproveAll_DecidesEveryPendingChangeOnce_AndSkipsTheDecidedOnes()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        var c = await PendingAsync(24);
        foreach (var r in new[] { a, b, c })
        {
            await NotifyAsync(r);
        }
        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, b.Id, "UB")).Outcome);

        var result = await ClickAsync(ActionIds.ApproveAll, a.Id);

        Assert.Equal((DecisionOutcome.Approved, 2), (result.Outcome, result.Decided));
        Assert.Equal([RequestStatus.Approved, RequestStatus.Denied, RequestStatus.Approved],
            await Task.WhenAll(new[] { a, b, c }.Select(async r => (await _requests.GetAsync(r.Id, default))!.Value.Status)));
        Assert.Equal(new[] { a.Id, c.Id }.Order(), _requests.AppliesRecorded.Order());
        Assert.Contains($"already decided: {b.Id} (denied)", _slack.Ephemerals.Last().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveAll_Twice_AppliesNothingTwice()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        await NotifyAsync(a);
        await NotifyAsync(b);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => ClickAsync(i % 2 == 0 ? ActionIds.ApproveAll : ActionIds.Approve, i % 2 == 0 ? a.Id : b.Id))));

        Assert.Equal(2, results.Sum(r => r.Decided));
        Assert.Equal(2, _requests.AppliesRecorded.Count);
        Assert.Equal(2, _requests.AppliesRecorded.Distinct().Count());
    }

    [Fact]
    public async Task ApproveAll_OnARequestThatLeadsNoBatch_IsUnknown()
    {
        var lone = await PendingAsync(22);
        Assert.Equal(DecisionOutcome.UnknownRequest, (await ClickAsync(ActionIds.ApproveAll, lone.Id)).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(lone.Id, default))!.Value.Status);
    }

    [Fact]
    public async Task DecisionsInABatch_AreToldInOneThreadReply()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        await NotifyAsync(a);
        await NotifyAsync(b);
        await RunScheduledRendersAsync();
        _slack.Posts.Clear();

        await ClickAsync(ActionIds.ApproveAll, a.Id);
        foreach (var n in _queue.On<EffectsMessage>(QueueNames.Effects).OfType<NudgeEffects>())
        {
            await Notifier().NotifyAsync(new RequestNotification(n.RequestId, RequestStatus.Approved), _rig.Requests);
        }
        await RunScheduledRendersAsync();

        var reply = Assert.Single(_slack.Posts);
        Assert.Equal("CMONITOR", reply.Channel);
        Assert.NotNull(reply.ThreadTs);
        Assert.Contains(a.Id, reply.Text, StringComparison.Ordinal);
        Assert.Contains(b.Id, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimited_IsRescheduledForWhenSlackAllows()
    {
        var a = await PendingAsync(22);
        _slack.FailPosts = new SlackRateLimitedException("chat.postMessage", TimeSpan.FromSeconds(42));

        // The render effect, as the effects worker performs it: a rate limit brings its nudge back when Slack allows.
        await _rig.PerformAsync(a.Id, EffectKind.Render);

        var again = Assert.Single(_queue.Delayed);
        Assert.Equal(TimeSpan.FromSeconds(42), again.Delay);
        var nudge = Assert.IsType<NudgeEffects>(BridgeJson.Deserialize<EffectsMessage>(again.Json));
        Assert.Equal(a.Id, nudge.RequestId);
        Assert.Contains((await _requests.GetAsync(a.Id, default))!.Value.Effects, e => e.Kind == EffectKind.Render && nudge.EffectIds.Contains(e.Id));
    }

    [Fact]
    public async Task ConcurrentNotifications_PutEachRequestInExactlyOneBatch_WithinTheMaxSize()
    {
        var burst = new List<ChangeRequest>();
        for (var i = 0; i < 9; i++)
        {
            burst.Add(await PendingAsync(2000 + i));
        }

        // A notification that finds another render posting the batch's first message is refused and delivered again, as the queue does.
        async Task DeliverAsync(ChangeRequest r)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await NotifyAsync(r);
                    return;
                }
                catch (SlackPostInProgressException) when (attempt < 1000)
                {
                    await Task.Yield();
                }
            }
        }

        await Task.WhenAll(burst.Select(r => Task.Run(() => DeliverAsync(r))));

        var leads = new Dictionary<string, int>();
        foreach (var r in burst)
        {
            var lead = _rig.Threads.Membership(r.Id)!.LeadId;
            var thread = _rig.Threads.Thread(lead)!;
            Assert.Contains(r.Id, thread.MemberIds);
            Assert.InRange(thread.MemberIds.Count, 1, _options.BatchMaxSize);
            leads[lead] = thread.MemberIds.Count;
        }
        Assert.Equal(9, leads.Values.Sum());
    }

    [Fact]
    public async Task ApproveAll_ReadsTheMembersFromTheBatchRow()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        await NotifyAsync(a);
        await NotifyAsync(b);
        var c = await PendingAsync(24);

        // c was never placed in the batch: "Approve all" on a's message decides a and b only.
        var result = await ClickAsync(ActionIds.ApproveAll, a.Id);

        Assert.Equal(2, result.Decided);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(c.Id, default))!.Value.Status);
    }
}
