using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

public class NotificationServiceTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackOptions _options = new() { BotToken = "xoxb-t", SigningSecret = "s", ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UA" };
    private readonly SlackRig _rig;

    public NotificationServiceTests() =>
        _rig = new SlackRig(_options, new FakeTimeProvider(T), new PolicyOptions { AllowedAccounts = TestData.Account, AccountAliases = $"{TestData.Account}=prod" });

    private InMemoryRequestStore _requests => _rig.Requests;
    private RecordingSlackClient _slack => _rig.Slack;

    private NotificationService Service() => _rig.Notifier();

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
        var stored = (await _requests.GetAsync(r.Id, default))!.ETag;

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);

        Assert.Equal(["CAPPROVERS", "CMONITOR"], _slack.Posts.Select(p => p.Channel));
        Assert.All(_slack.Posts, p => Assert.Null(p.ThreadTs));
        var thread = _rig.Threads.Thread(r.Id)!;
        Assert.Equal("CAPPROVERS", thread.ApproverMessage!.Channel);
        Assert.Equal("CMONITOR", thread.MonitoringMessage!.Channel);
        // What was posted lives in the thread rows: the request row is as stored.
        Assert.Equal(stored, (await _requests.GetAsync(r.Id, default))!.ETag);
    }

    [Fact]
    public async Task NotifyAsync_Redelivered_UpdatesInsteadOfPostingAgain()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);
        Assert.Equal(2, _slack.Posts.Count);
        Assert.Equal(2, _slack.Updates.Count);
    }

    [Fact]
    public async Task NotifyAsync_Approved_UpdatesBothAndRepliesInTheMonitoringThreadOnce()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);
        var monitoringTs = _slack.Posts.First().Channel == "CMONITOR" ? _slack.Posts.First() : default;
        await UpdateAsync(r.Id, x => x.Approve("UA", "a", T));

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Approved), _rig.Requests);
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Approved), _rig.Requests);

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

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Exempt), _rig.Requests);

        Assert.Equal(["CMONITOR"], _slack.Posts.Select(p => p.Channel));
    }

    [Fact]
    public async Task NotifyAsync_SlackDown_Throws_AndTheRequestStaysIntact()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        _slack.FailPosts = new HttpRequestException("Slack chat.postMessage failed with HTTP 503 after 4 attempts.");

        await Assert.ThrowsAsync<HttpRequestException>(() => Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests));

        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(r.Id, default))!.Value.Status);
        Assert.Null(_rig.Threads.Thread(r.Id)!.MonitoringMessage);
    }

    [Fact]
    public async Task NotifyAsync_MonitoringChannelBroken_StillPostsForApprovers_ThenThrowsForARetry()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        var attempts = 0;
        _slack.Refuse = (_, channel, _) => channel == "CMONITOR" && Interlocked.Increment(ref attempts) == 1 ? new HttpRequestException("monitoring down") : null;

        await Assert.ThrowsAsync<HttpRequestException>(() => Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests));
        Assert.Equal(["CAPPROVERS"], _slack.Posts.Select(p => p.Channel));

        // The retry updates the approvers' message (no second post) and posts the monitoring one.
        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);
        Assert.Equal(["CAPPROVERS", "CMONITOR"], _slack.Posts.Select(p => p.Channel));
        Assert.Equal(["CAPPROVERS"], _slack.Updates.Select(u => u.Channel));
    }

    [Fact]
    public async Task NotifyAsync_RequesterLookupFails_StillPostsWithoutAMention()
    {
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));
        _slack.FailLookups = new SlackApiException("users.lookupByEmail", "missing_scope");

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);

        Assert.Equal(2, _slack.Posts.Count);
    }

    [Theory]
    [InlineData(UnresolvedRequesterPolicy.RequireTwoApprovers, "two different approvers")]
    [InlineData(UnresolvedRequesterPolicy.Block, "blocked")]
    [InlineData(UnresolvedRequesterPolicy.Allow, "did not make this change yourself")]
    public async Task NotifyAsync_RequesterUnknownToSlack_TheApproversMessageSaysSo(UnresolvedRequesterPolicy policy, string expected)
    {
        _options.UnresolvedRequester = policy;
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);

        Assert.Contains(expected, _slack.Posts.Single(p => p.Channel == "CAPPROVERS").Blocks!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("could not be matched", _slack.Posts.Single(p => p.Channel == "CMONITOR").Blocks!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotifyAsync_RequesterKnownToSlack_IsMentioned_AndNoWarning()
    {
        _slack.UsersByEmail["alice@example.com"] = "UALICE";
        var r = await StoreAsync(x => x.MarkReverted(new CallOutcome("revoke", true), T));

        await Service().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);

        var approvers = _slack.Posts.Single(p => p.Channel == "CAPPROVERS").Blocks!.ToJsonString();
        Assert.Contains("@UALICE", approvers, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be matched", approvers, StringComparison.Ordinal);
    }
}
