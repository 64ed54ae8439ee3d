using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

public class NotificationServiceTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly InMemoryRequestStore _requests = new();
    private readonly RecordingSlackClient _slack = new();
    private readonly FakeTimeProvider _time = new(T);
    private readonly SlackOptions _options = new() { BotToken = "xoxb-t", SigningSecret = "s", ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UA" };

    private readonly RecordingQueue _queue = new();

    private NotificationService Service() => new(_requests, _queue, _slack, new ApproverDirectory(_slack, O.Create(_options), _time), O.Create(_options),
        O.Create(new PolicyOptions { AllowedAccounts = TestData.Account, AccountAliases = $"{TestData.Account}=prod" }), _time, NullLogger<NotificationService>.Instance);

    private async Task<ChangeRequest> StoreAsync(Action<ChangeRequest> shape)
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        shape(r);
        await _requests.AddOrGetAsync(r, default);
        return r;
    }

    private async Task UpdateAsync(string id, Action<ChangeRequest> change)
    {
        var s = (await _requests.GetAsync(id, default))!;
        change(s.Value);
        await _requests.ReplaceAsync(s.Value, s.ETag, default);
    }

    [Fact]
    public async Task NotifyAsync_Pending_PostsToBothChannelsAndRemembersTheMessages()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default);

        Assert.Equal(["CMONITOR", "CAPPROVERS"], _slack.Posts.Select(p => p.Channel));
        Assert.All(_slack.Posts, p => Assert.Null(p.ThreadTs));
        var stored = (await _requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal("CAPPROVERS", stored.ApproverMessage!.Channel);
        Assert.Equal("CMONITOR", stored.MonitoringMessage!.Channel);
    }

    [Fact]
    public async Task NotifyAsync_Redelivered_UpdatesInsteadOfPostingAgain()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default);
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default);
        Assert.Equal(2, _slack.Posts.Count);
        Assert.Equal(2, _slack.Updates.Count);
    }

    [Fact]
    public async Task NotifyAsync_Approved_UpdatesBothAndRepliesInTheMonitoringThreadOnce()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default);
        var monitoringTs = _slack.Posts.First().Channel == "CMONITOR" ? _slack.Posts.First() : default;
        await UpdateAsync(r.Id, x => x.Approve("UA", "a", T));

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Approved), default);
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Approved), default);

        var replies = _slack.Posts.Where(p => p.ThreadTs is not null).ToList();
        var reply = Assert.Single(replies);
        Assert.Equal("CMONITOR", reply.Channel);
        Assert.Contains("Approved by <@UA>", reply.Text, StringComparison.Ordinal);
        var approverUpdate = _slack.Updates.First(u => u.Channel == "CAPPROVERS");
        Assert.DoesNotContain("\"actions\"", approverUpdate.Blocks!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotifyAsync_Exempt_GoesToMonitoringOnly()
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.RecordExempt("SG-EXEMPT01", change, "pipeline role", T);
        await _requests.AddOrGetAsync(r, default);

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Exempt), default);

        Assert.Equal(["CMONITOR"], _slack.Posts.Select(p => p.Channel));
    }

    [Fact]
    public async Task NotifyAsync_SlackDown_Throws_AndTheRequestStaysIntact()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        _slack.FailPosts = new SlackApiException("chat.postMessage", "channel_not_found");

        await Assert.ThrowsAsync<SlackApiException>(() => Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default));

        var stored = (await _requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal(RequestStatus.Pending, stored.Status);
        Assert.Null(stored.MonitoringMessage);
    }

    [Fact]
    public async Task NotifyAsync_RequesterLookupFails_StillPostsWithoutAMention()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        _slack.FailLookups = new SlackApiException("users.lookupByEmail", "missing_scope");

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), default);

        Assert.Equal(2, _slack.Posts.Count);
    }
}
