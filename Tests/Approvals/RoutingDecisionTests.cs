using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using SgBridge.Tests.Telemetry;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// Routing end to end on fakes: the notifier posts in the routed channel and records the route; a click is checked
/// against the routed approvers (the global ones only on the default route, or where the route includes them); forged
/// clicks from another message are refused; break-glass users may approve their own change, which is counted and told
/// loudly once.
/// </summary>
public sealed class RoutingDecisionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackRig _rig;
    private readonly MetricRecorder _metrics;

    public RoutingDecisionTests()
    {
        var options = new SlackOptions
        {
            BotToken = "test-token",
            SigningSecret = SlackSigning.Secret,
            ApproversChannel = "CAPPROVERS",
            MonitoringChannel = "CMONITOR",
            ApproverUserIds = "UGLOBAL",
            BreakGlassUserIds = "UALICE",
            Routes =
            [
                new SlackRoute { Match = "tag:env=prod", ApproversChannel = "CPRODTAG", ApproverUserIds = "UTAGAPPROVER", MonitoringChannel = "CPRODMON" },
                new SlackRoute { Match = $"account:{TestData.Account}", ApproversChannel = "CACCOUNT", ApproverUserIds = "UROUTED,UALICE", ApproverUserGroupIds = "SROUTED" },
            ],
        };
        _rig = new SlackRig(options, new FakeTimeProvider(Now), new PolicyOptions { AllowedAccounts = TestData.Account, AccountAliases = $"{TestData.Account}=payments" });
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
        _rig.Slack.Groups["SROUTED"] = ["UGROUPMEMBER"];
        _metrics = new MetricRecorder(_rig.Telemetry.Meter);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _rig.Telemetry.Dispose();
    }

    /// <summary>A pending request by alice (UALICE), shown by the notifier as it would be.</summary>
    private async Task<string> PendingAsync(Requester? requester = null)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString(), requester: requester) with { Rules = [TestData.Tcp(443, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        await _rig.Notifier().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Pending), _rig.Requests);
        return r.Id;
    }

    private async Task<RequestStatus> StatusAsync(string id) => (await _rig.Requests.GetAsync(id, default))!.Value.Status;

    [Fact]
    public async Task Notify_RoutedAccount_PostsInTheRoutedChannel_AndRecordsTheRoute()
    {
        var id = await PendingAsync();

        Assert.Equal(["CACCOUNT", "CMONITOR"], _rig.Slack.Posts.Select(p => p.Channel));
        Assert.Equal("CACCOUNT", _rig.Threads.Thread(id)!.ApproverMessage!.Channel);
        Assert.Equal($"account:{TestData.Account}", (await _rig.Threads.GetAsync(RouteChoice.Row(id), default))!.Value.Match);
    }

    [Fact]
    public async Task Notify_GroupTaggedProd_TagRouteWins_WithItsMonitoringChannel()
    {
        _rig.Ec2.Tags["env"] = "prod";

        var id = await PendingAsync();

        Assert.Equal(["CPRODTAG", "CPRODMON"], _rig.Slack.Posts.Select(p => p.Channel));
        Assert.Contains("describe-tags", _rig.Ec2.Calls);
        Assert.Equal(DecisionOutcome.NotAnApprover, (await _rig.ClickAsync(ActionIds.Approve, id, "UROUTED")).Outcome);
        Assert.Equal(DecisionOutcome.Approved, (await _rig.ClickAsync(ActionIds.Approve, id, "UTAGAPPROVER")).Outcome);
    }

    [Fact]
    public async Task Notify_TagsUnreadable_FallsBackToTheAccountRoute_MessageStillSent()
    {
        _rig.Ec2.Tags["env"] = "prod";
        _rig.Ec2.GroupExists = false;

        var id = await PendingAsync();

        Assert.Equal("CACCOUNT", _rig.Threads.Thread(id)!.ApproverMessage!.Channel);
    }

    [Theory]
    [InlineData("UROUTED")]
    [InlineData("UGROUPMEMBER")]
    public async Task Click_RoutedApprover_Approves(string user)
    {
        var id = await PendingAsync();

        var result = await _rig.ClickAsync(ActionIds.Approve, id, user);

        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
        Assert.Equal(RequestStatus.Approved, await StatusAsync(id));
    }

    [Fact]
    public async Task Click_GlobalApproverOnARoutedAccount_IsNotAnApprover_NothingChanges()
    {
        var id = await PendingAsync();

        var approve = await _rig.ClickAsync(ActionIds.Approve, id, "UGLOBAL");
        var deny = await _rig.ClickAsync(ActionIds.Deny, id, "UGLOBAL");

        Assert.Equal((DecisionOutcome.NotAnApprover, DecisionOutcome.NotAnApprover), (approve.Outcome, deny.Outcome));
        Assert.Equal(RequestStatus.Pending, await StatusAsync(id));
        Assert.Empty(_rig.Requests.AppliesRecorded);
    }

    [Fact]
    public async Task Click_ForgedFromTheGlobalChannel_IsRefused_EvenByARoutedApprover()
    {
        var id = await PendingAsync();
        var shown = _rig.Threads.Thread(id)!.ApproverMessage!;

        var fromGlobal = await _rig.ClickAsync(ActionIds.Approve, id, "UROUTED", channel: "CAPPROVERS", ts: shown.Ts);
        var otherTs = await _rig.ClickAsync(ActionIds.Approve, id, "UROUTED", channel: shown.Channel, ts: "9999.000100");

        Assert.Equal((DecisionOutcome.NotOnThisMessage, DecisionOutcome.NotOnThisMessage), (fromGlobal.Outcome, otherTs.Outcome));
        Assert.Equal(RequestStatus.Pending, await StatusAsync(id));
    }

    [Fact]
    public async Task Click_RouteRemovedFromSettingsAfterPosting_FallsBackToTheAccountRoute()
    {
        var id = await PendingAsync();
        await _rig.Threads.WriteAsync(RouteChoice.Row(id), new RouteChoice("alias:gone"),
            (await _rig.Threads.GetAsync(RouteChoice.Row(id), default))!.ETag, default);

        Assert.Equal(DecisionOutcome.NotAnApprover, (await _rig.ClickAsync(ActionIds.Approve, id, "UGLOBAL")).Outcome);
        Assert.Equal(DecisionOutcome.Approved, (await _rig.ClickAsync(ActionIds.Approve, id, "UROUTED")).Outcome);
    }

    [Fact]
    public async Task Click_BreakGlassApprovesOwnChange_Allowed_CountedAndToldLoudlyOnce()
    {
        var id = await PendingAsync();

        var result = await _rig.ClickAsync(ActionIds.Approve, id, "UALICE");

        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
        var approved = (await _rig.Requests.GetAsync(id, default))!.Value;
        Assert.Equal("UALICE", approved.DecidedBy);
        Assert.Equal([id], _rig.Requests.AppliesRecorded);
        Assert.Equal(1, _metrics.Sum("sgbridge.break_glass", ("account", TestData.Account)));
        // The notice is an effect of the approval's own write, naming who approved.
        Assert.Equal("UALICE", Assert.Single(approved.Effects, e => e.Kind == EffectKind.BreakGlassNotice).By);

        var before = _rig.Slack.Posts.Count;
        var nudge = new NudgeEffects(id, approved.Effects.Where(e => e.Kind == EffectKind.BreakGlassNotice).Select(e => e.Id).ToArray());
        await _rig.Effects().PerformAsync(nudge, 1, default);
        await _rig.Effects().PerformAsync(nudge, 1, default); // the same nudge delivered again

        var loud = Assert.Single(_rig.Slack.Posts.Skip(before));
        Assert.Equal("CMONITOR", loud.Channel);
        Assert.Contains("BREAK-GLASS", loud.Text, StringComparison.Ordinal);
        Assert.Contains("<@UALICE> approved *their own* change", loud.Text, StringComparison.Ordinal);
        Assert.Contains(id, loud.Text, StringComparison.Ordinal);
        Assert.DoesNotContain((await _rig.Requests.GetAsync(id, default))!.Value.Effects, e => e.Kind == EffectKind.BreakGlassNotice);
    }

    [Fact]
    public async Task Click_BreakGlassNoticeOnATagRoute_GoesToTheRouteAndTheGlobalMonitoringChannel()
    {
        _rig.Ec2.Tags["env"] = "prod";
        var id = await PendingAsync();
        var before = _rig.Slack.Posts.Count;

        await _rig.Routing().TellBreakGlassAsync((await _rig.Requests.GetAsync(id, default))!.Value, "UALICE", default);

        Assert.Equal(["CPRODMON", "CMONITOR"], _rig.Slack.Posts.Skip(before).Select(p => p.Channel));
    }

    [Fact]
    public async Task Click_BreakGlassNotice_SlackFails_StaysPendingForRetry_ThenPostsOnce()
    {
        var id = await PendingAsync();
        Assert.Equal(DecisionOutcome.Approved, (await _rig.ClickAsync(ActionIds.Approve, id, "UALICE")).Outcome);
        _rig.Slack.FailPosts = new SlackApiException("chat.postMessage", "channel_not_found");

        await Assert.ThrowsAsync<SlackApiException>(() => _rig.PerformAsync(id, EffectKind.BreakGlassNotice));
        Assert.Contains((await _rig.Requests.GetAsync(id, default))!.Value.Effects, e => e.Kind == EffectKind.BreakGlassNotice);
        _rig.Slack.FailPosts = null;
        var before = _rig.Slack.Posts.Count;
        await _rig.PerformAsync(id, EffectKind.BreakGlassNotice);
        await _rig.PerformAsync(id, EffectKind.BreakGlassNotice);

        Assert.Single(_rig.Slack.Posts.Skip(before));
    }

    [Fact]
    public async Task Click_SelfApprovalByANonBreakGlassRoutedApprover_IsRefused()
    {
        _rig.Slack.UsersByEmail["bob@example.com"] = "UROUTED";
        var id = await PendingAsync(TestData.SsoUser("bob@example.com"));

        var result = await _rig.ClickAsync(ActionIds.Approve, id, "UROUTED");

        Assert.Equal(DecisionOutcome.SelfApproval, result.Outcome);
        Assert.Equal(RequestStatus.Pending, await StatusAsync(id));
        Assert.Equal(0, _metrics.Sum("sgbridge.break_glass"));
    }

    [Fact]
    public async Task Click_BreakGlassUserWhoIsNotARoutedApprover_IsStillNotAnApprover()
    {
        _rig.Slack.UsersByEmail["carol@example.com"] = "UGLOBAL";
        var id = await PendingAsync(TestData.SsoUser("carol@example.com"));

        Assert.Equal(DecisionOutcome.NotAnApprover, (await _rig.ClickAsync(ActionIds.Approve, id, "UGLOBAL")).Outcome);
    }

    [Fact]
    public async Task Click_BreakGlassApproval_DuplicatedClick_CountsAndNotifiesOnce()
    {
        var id = await PendingAsync();

        var first = await _rig.ClickAsync(ActionIds.Approve, id, "UALICE");
        var second = await _rig.ClickAsync(ActionIds.Approve, id, "UALICE");

        Assert.Equal((DecisionOutcome.Approved, DecisionOutcome.AlreadyDecided), (first.Outcome, second.Outcome));
        Assert.Equal(1, _metrics.Sum("sgbridge.break_glass"));
        Assert.Single((await _rig.Requests.GetAsync(id, default))!.Value.Effects, e => e.Kind == EffectKind.BreakGlassNotice);
        Assert.Single(_rig.Queue.On<EffectsMessage>(QueueNames.Effects)); // the losing click writes and nudges nothing
    }
}
