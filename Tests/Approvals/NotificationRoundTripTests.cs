using System.Text.Json.Nodes;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The notification path's storage round trips (counted on the fakes, which count every read, write and transaction)
/// and the races the cheaper path must survive: two batches opened at once for one key, a stale carried request,
/// a Slack answer lost after the message was posted.
/// </summary>
public class NotificationRoundTripTests : NotificationRig
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public NotificationRoundTripTests()
        : base(T)
    {
    }

    [Fact]
    public async Task FirstSight_WithTheRequestCarried_PostsBothMessages_AndRecordsTheBatchInTheHomePartition()
    {
        var r = await PendingAsync(22);

        await NotifyAsync(Carrying(r));

        // Pointer, thread and membership, all in the request's home partition (round trips are the bench's to count).
        var home = SlackRows.HomeOf(r);
        Assert.Equal([(home, "member-" + r.Id), (home, "open-policed"), (home, "thread-" + r.Id)], Rig.Threads.Keys.Order());
        var thread = Rig.Threads.Thread(r.Id)!;
        Assert.Equal([r.Id], thread.MemberIds);
        Assert.Equal(("CAPPROVERS", "CMONITOR"), (thread.ApproverMessage!.Channel, thread.MonitoringMessage!.Channel));
        Assert.Equal(r.Id, Rig.Threads.Membership(r.Id)!.LeadId);
        Assert.Equal(2, Rig.Slack.Posts.Count);
    }

    [Fact]
    public async Task FirstSight_WithoutTheRequest_ReadsItFromTheStore_AndPostsBothMessages()
    {
        var r = await PendingAsync(22);

        await NotifyAsync(new RequestNotification(r.Id, r.Status));

        var thread = Rig.Threads.Thread(r.Id)!;
        Assert.Equal([r.Id], thread.MemberIds);
        Assert.Equal(("CAPPROVERS", "CMONITOR"), (thread.ApproverMessage!.Channel, thread.MonitoringMessage!.Channel));
        Assert.Contains(r.Id, Rig.Slack.Posts.Single(p => p.Channel == "CAPPROVERS").Blocks!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_AddsTheMemberToTheBatch_WithItsDebouncedRender_AndPostsNothingNew()
    {
        var first = await PendingAsync(22);
        await NotifyAsync(Carrying(first));
        var second = await PendingAsync(23);

        await NotifyAsync(Carrying(second));

        // The batch gains the member and a render schedule, the membership points at the lead; no Slack call yet.
        var thread = Rig.Threads.Thread(first.Id)!;
        Assert.Equal([first.Id, second.Id], thread.MemberIds);
        var render = BridgeJson.Deserialize<RequestNotification>(Assert.Single(Rig.Queue.Delayed).Json);
        // The render notification carries the batch's partition, so the render is a point read of the thread.
        Assert.Equal((thread.RenderScheduledFor, SlackRows.HomeOf(first)), (render.DueAt, render.Home));
        Assert.Equal(first.Id, Rig.Threads.Membership(second.Id)!.LeadId);
        Assert.Equal(2, Rig.Slack.Posts.Count);
    }

    [Fact]
    public async Task Redelivery_OfAFirstNotice_PlacesNothingTwice_AndUpdatesInsteadOfPosting()
    {
        var first = await PendingAsync(22);
        var second = await PendingAsync(23);
        await NotifyAsync(Carrying(first));
        await NotifyAsync(Carrying(second));

        await NotifyAsync(Carrying(first));
        await NotifyAsync(Carrying(second));

        Assert.Equal([first.Id, second.Id], Rig.Threads.Thread(first.Id)!.MemberIds);
        Assert.Null(Rig.Threads.Thread(second.Id));
        Assert.Equal(2, Rig.Slack.Posts.Count);
    }

    [Fact]
    public async Task TwoBatchesOpenedAtOnceForOneKey_EndAsOne_WithTheLoserMovedIntoTheWinner()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        // A reads the key's pointer (none), and just before its batch-start transaction (which claims the pointer) B does all of it.
        Rig.Threads.BeforeTransaction = () => NotifyAsync(Carrying(b));

        await NotifyAsync(Carrying(a));

        var winner = Rig.Threads.Thread(b.Id)!;
        Assert.Equal([b.Id, a.Id], winner.MemberIds);
        Assert.Equal(b.Id, Rig.Threads.Membership(a.Id)!.LeadId);
        Assert.Equal(b.Id, (await Rig.Threads.GetAsync(SlackRows.Open(a), default))!.Value.LeadId);
        // A's own batch was never written (its transaction failed whole): only B's two messages exist, and A is in them
        // after the debounced render.
        Assert.Null(Rig.Threads.Thread(a.Id));
        Assert.Equal(2, Rig.Slack.Posts.Count);
        Time.Advance(TimeSpan.FromSeconds(3));
        while (Rig.Queue.Delayed.TryDequeue(out var render))
        {
            await NotifyAsync(BridgeJson.Deserialize<RequestNotification>(render.Json));
        }
        Assert.Contains(a.Id, Rig.Slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentFirstSights_OnOneKey_PlaceEveryRequestInExactlyOneBatch()
    {
        for (var round = 0; round < 25; round++)
        {
            var rig = new SlackRig(Rig.Options, Time);
            var requests = new List<ChangeRequest>();
            for (var i = 0; i < 3; i++)
            {
                var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(100 + i, "0.0.0.0/0")] };
                var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Time.GetUtcNow());
                r.MarkReverted(new CallOutcome("revoke", true), Time.GetUtcNow());
                await rig.Requests.AddOrGetAsync(r, default);
                requests.Add(r);
            }

            // A delivery that finds the batch's first post claimed by another escapes and is delivered again (as the queue does).
            await Task.WhenAll(requests.Select(r => Task.Run(() => UntilNotPostingElsewhereAsync(() => rig.Notifier().NotifyAsync(Carrying(r), Rig.Requests)))));

            foreach (var r in requests)
            {
                var lead = rig.Threads.Membership(r.Id)!.LeadId;
                Assert.Contains(r.Id, rig.Threads.Thread(lead)!.MemberIds);
                // No other batch that shows anything claims it too.
                Assert.All(requests.Select(o => rig.Threads.Thread(o.Id)).Where(t => t is not null && t.LeadId != lead && t.ApproverMessage is not null),
                    t => Assert.DoesNotContain(r.Id, t!.MemberIds));
            }
        }
    }

    private static async Task UntilNotPostingElsewhereAsync(Func<Task> deliver)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await deliver();
                return;
            }
            catch (SlackPostInProgressException) when (attempt < 1000)
            {
                await Task.Delay(1);
            }
        }
    }

    [Fact]
    public async Task StaleCarriedRequest_AfterALaterOutcomeWasShown_DoesNotPutTheButtonsBack()
    {
        var r = await PendingAsync(22);
        var pending = Carrying(r);
        await NotifyAsync(pending);
        Assert.Equal(DecisionOutcome.Approved, (await Rig.ClickAsync(ActionIds.Approve, r.Id, "UA")).Outcome);
        var approved = Carrying((await Rig.Requests.GetAsync(r.Id, default))!.Value);
        Assert.Equal(RequestStatus.Approved, approved.Request!.Status);
        await NotifyAsync(approved);
        var shown = Rig.Slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString();

        // The Pending notification arrives again, late: it must not put the buttons back.
        await NotifyAsync(pending);

        Assert.Equal(shown, Rig.Slack.Updates.Last(u => u.Channel == "CAPPROVERS").Blocks!.ToJsonString());
    }

    [Fact]
    public async Task LostSlackAnswer_ThenRedelivery_PostsTheMonitoringMessageOnce_AndEndsWithBothMessagesRecorded()
    {
        var r = await PendingAsync(22);
        var lossy = new LosesFirstApproversAnswer(Rig.Slack);
        var notifier = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<NotificationService>(Rig.Over(Rig.Requests, Rig.Threads, lossy));

        await Assert.ThrowsAsync<HttpRequestException>(() => notifier.NotifyAsync(Carrying(r), Rig.Requests));
        var afterFailure = Rig.Threads.Thread(r.Id)!;
        Assert.Null(afterFailure.ApproverMessage);
        Assert.NotNull(afterFailure.MonitoringMessage);

        await notifier.NotifyAsync(Carrying(r), Rig.Requests);

        var thread = Rig.Threads.Thread(r.Id)!;
        Assert.Single(Rig.Slack.Posts, p => p.Channel == "CMONITOR");
        // The lost approvers' post cannot be known: it is posted again, and the new one is the batch's message.
        Assert.Equal(2, Rig.Slack.Posts.Count(p => p.Channel == "CAPPROVERS"));
        Assert.Equal(afterFailure.MonitoringMessage, thread.MonitoringMessage);
        Assert.Equal("CAPPROVERS", thread.ApproverMessage!.Channel);
        Assert.Single(Rig.Slack.Updates, u => u.Channel == "CMONITOR");
        Assert.Equal([r.Id], thread.MemberIds);
    }

    /// <summary>Slack that posts the first approvers' message but loses the answer (the connection drops after the post).</summary>
    private sealed class LosesFirstApproversAnswer(RecordingSlackClient inner) : ISlackClient
    {
        private int _lost;

        public async Task<SlackMessageRef> PostMessageAsync(string channel, string text, JsonArray? blocks, string? threadTs, CancellationToken cancellationToken)
        {
            var posted = await inner.PostMessageAsync(channel, text, blocks, threadTs, cancellationToken);
            return channel == "CAPPROVERS" && Interlocked.Exchange(ref _lost, 1) == 0 ? throw new HttpRequestException("connection reset after the post") : posted;
        }

        public Task<SlackMessageRef> UpdateMessageAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken cancellationToken) =>
            inner.UpdateMessageAsync(channel, ts, text, blocks, cancellationToken);

        public Task PostEphemeralAsync(string channel, string user, string text, CancellationToken cancellationToken) =>
            inner.PostEphemeralAsync(channel, user, text, cancellationToken);

        public Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken) =>
            inner.GetUserGroupMembersAsync(userGroupId, cancellationToken);

        public Task<string?> LookupUserByEmailAsync(string email, CancellationToken cancellationToken) =>
            inner.LookupUserByEmailAsync(email, cancellationToken);

        public Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken) =>
            inner.PublishHomeAsync(userId, view, cancellationToken);

        public Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken) =>
            inner.OpenViewAsync(triggerId, view, cancellationToken);
    }

    /// <summary>A queue that refuses (as too large) any notification carrying a request, when told to.</summary>
    private sealed class RefusesLargeMessages(RecordingQueue inner) : IQueueSender
    {
        public bool Refuse { get; set; }

        public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken) =>
            Refuse && message is RequestNotification { Request: not null } ? throw new QueueMessageTooLargeException(queueName, 70_000, 93_336) : inner.SendAsync(queueName, message, cancellationToken);

        public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
            inner.SendAsync(queueName, message, visibilityDelay, cancellationToken);
    }
}
