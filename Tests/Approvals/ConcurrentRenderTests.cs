using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// Two deliveries of one request's Render effect at once (a nudge and a catch-up re-drive, or two copies of a nudge in one
/// queue batch, on two instances): the first post of the batch is claimed on the thread row before Slack is called, so
/// only one of them posts; the other posts nothing, escapes (its effect stays pending) and its retry updates.
/// The overlap is forced with a gate in Slack, not with timing.
/// </summary>
public class ConcurrentRenderTests : NotificationRig
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public ConcurrentRenderTests()
        : base(T)
    {
    }

    [Fact]
    public async Task TwoDeliveriesAtOnce_PostOneApproversAndOneMonitoringMessage_AndTheThreadRecordsThem()
    {
        var r = await PendingAsync(22);
        var gated = new GatesFirstApproversPost(Rig.Slack);
        var first = Instance(gated);
        var second = Instance(gated);

        var posting = first.NotifyAsync(Carrying(r), Rig.Requests);
        await gated.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The first is inside Slack's chat.postMessage; the second delivery of the same effect runs meanwhile.
        await Assert.ThrowsAsync<SlackPostInProgressException>(() => second.NotifyAsync(Carrying(r), Rig.Requests));
        gated.Release.SetResult();
        await posting.WaitAsync(TimeSpan.FromSeconds(30));

        var thread = Rig.Threads.Thread(r.Id)!;
        Assert.Single(Rig.Slack.Posts, p => p.Channel == "CAPPROVERS");
        Assert.Single(Rig.Slack.Posts, p => p.Channel == "CMONITOR");
        Assert.Equal("CAPPROVERS", thread.ApproverMessage!.Channel);
        Assert.Equal("CMONITOR", thread.MonitoringMessage!.Channel);
        Assert.Null(thread.Posting);

        // The second delivery's retry updates the messages the first posted.
        await second.NotifyAsync(Carrying(r), Rig.Requests);
        Assert.Equal(2, Rig.Slack.Posts.Count);
        Assert.Contains(Rig.Slack.Updates, u => u.Channel == thread.ApproverMessage.Channel && u.Ts == thread.ApproverMessage.Ts);
    }

    [Fact]
    public async Task ClaimOfARenderThatDied_DelaysTheNotice_ThenLapses_AndTheNextDeliveryPostsIt()
    {
        var r = await PendingAsync(22);
        await NotifyAsync(Carrying(r));
        // A render that died inside Slack after claiming the first post (nothing recorded): its claim holds for the lease.
        var row = SlackRows.Thread(SlackRows.HomeOf(r), r.Id);
        var stored = (await Rig.Threads.GetAsync(row, default))!;
        var crashed = stored.Value with
        {
            ApproverMessage = null, MonitoringMessage = null,
            Posting = new SlackPostClaim("dead", Time.GetUtcNow() + TimeSpan.FromMinutes(2)),
        };
        await Rig.Threads.WriteAsync(row, crashed, stored.ETag, default);
        var before = Rig.Slack.Posts.Count;

        await Assert.ThrowsAsync<SlackPostInProgressException>(() => NotifyAsync(Carrying(r)));
        Assert.Equal(before, Rig.Slack.Posts.Count);

        Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        await NotifyAsync(Carrying(r));

        var thread = Rig.Threads.Thread(r.Id)!;
        Assert.Equal(before + 2, Rig.Slack.Posts.Count);
        Assert.Equal("CAPPROVERS", thread.ApproverMessage!.Channel);
        Assert.Equal("CMONITOR", thread.MonitoringMessage!.Channel);
        Assert.Null(thread.Posting);
    }

    [Fact]
    public async Task RenderEffect_RefusedByAnotherRendersLiveClaim_ComesBackLater_WithoutFailingOrPosting()
    {
        var r = await PendingAsync(22);
        await NotifyAsync(Carrying(r));
        var row = SlackRows.Thread(SlackRows.HomeOf(r), r.Id);
        var stored = (await Rig.Threads.GetAsync(row, default))!;
        var until = Time.GetUtcNow() + TimeSpan.FromMinutes(2);
        await Rig.Threads.WriteAsync(row, stored.Value with { ApproverMessage = null, MonitoringMessage = null, Posting = new SlackPostClaim("other", until) }, stored.ETag, default);
        var posts = Rig.Slack.Posts.Count;

        // The effects worker performs the render: another render holds the first post, so this one neither posts nor
        // fails (no try spent, nothing counted as a failure); its nudge comes back after the claim's retry delay.
        await Rig.PerformAsync(r.Id, EffectKind.Render);

        Assert.Equal(posts, Rig.Slack.Posts.Count);
        var again = Assert.Single(Rig.Queue.Delayed, d => d.Queue == QueueNames.Effects);
        Assert.Equal(TimeSpan.FromSeconds(10), again.Delay);
        var nudge = Assert.IsType<NudgeEffects>(BridgeJson.Deserialize<EffectsMessage>(again.Json));
        var pending = (await Rig.Requests.GetAsync(r.Id, default))!.Value.Effects;
        Assert.Contains(pending, e => e.Kind == EffectKind.Render && nudge.EffectIds.Contains(e.Id));

        // Once the other render's claim has lapsed (it died), the nudge that came back posts the messages.
        Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        await Rig.PerformAsync(r.Id, EffectKind.Render);
        Assert.Equal(posts + 2, Rig.Slack.Posts.Count);
        Assert.DoesNotContain((await Rig.Requests.GetAsync(r.Id, default))!.Value.Effects, e => e.Kind == EffectKind.Render);
    }

    private NotificationService Instance(ISlackClient slack) =>
        Rig.Over(Rig.Requests, Rig.Threads, slack).GetRequiredService<NotificationService>();

    /// <summary>Slack whose first approvers' post waits at a gate (after being sent) until the test releases it.</summary>
    private sealed class GatesFirstApproversPost(RecordingSlackClient inner) : ISlackClient
    {
        private int _gated;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<SlackMessageRef> PostMessageAsync(string channel, string text, JsonArray? blocks, string? threadTs, CancellationToken cancellationToken)
        {
            var posted = await inner.PostMessageAsync(channel, text, blocks, threadTs, cancellationToken);
            if (channel == "CAPPROVERS" && Interlocked.Exchange(ref _gated, 1) == 0)
            {
                Entered.SetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }
            return posted;
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
}
