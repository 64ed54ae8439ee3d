using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>
/// The Home tab: the events endpoint (signature, url_verification, app_home_opened queued, retries harmless), the tab
/// an approver and a requester see, decisions made from it through the real interactions endpoint, and its refresh as
/// an effect of a request's transition.
/// </summary>
[Collection(SlackPayloadMatrix.Collection)]
public class HomeTabTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackOptions _options = new()
    {
        BotToken = "xoxb-test",
        SigningSecret = SlackSigning.Secret,
        ApproversChannel = "CAPPROVERS",
        MonitoringChannel = "CMONITOR",
        ApproverUserIds = "UAPPROVER1",
    };
    private readonly SlackRig _rig;

    public HomeTabTests()
    {
        _rig = new SlackRig(_options, new FakeTimeProvider(Now));
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
    }

    // ---- the events endpoint -------------------------------------------------------------------------------------

    private SlackEndpoint Events(IQueueSender? queue = null) => queue is null
        ? _rig.Endpoint()
        : _rig.Bridge.Services(s => s.Replace(ServiceDescriptor.Singleton(queue))).GetRequiredService<SlackEndpoint>();

    private Task<DecisionResult> PostEventAsync(string json, string? secret = null, string? retry = null, IQueueSender? queue = null)
    {
        var at = Now.ToUnixTimeSeconds();
        return Events(queue).HandleEventAsync(Encoding.UTF8.GetBytes(json), at.ToString(CultureInfo.InvariantCulture), SlackSigning.Sign(json, at, secret ?? SlackSigning.Secret), retry, default);
    }

    private static string HomeOpened(string user = "UALICE", string tab = "home") =>
        $$$"""{"token":"legacy","team_id":"T0001","api_app_id":"A0001","type":"event_callback","event_id":"Ev01","event_time":1700000000,"event":{"type":"app_home_opened","user":"{{{user}}}","channel":"D0001","tab":"{{{tab}}}","event_ts":"1700000000.000100"}}""";

    [Fact]
    public async Task Events_UrlVerification_AnswersTheChallenge()
    {
        var answer = await PostEventAsync("""{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}""");

        Assert.Equal(200, answer.StatusCode);
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", (string?)answer.Body!["challenge"]);
    }

    [Fact]
    public async Task Events_SignedWithAnotherSecret_Is401AndQueuesNothing()
    {
        var answer = await PostEventAsync(HomeOpened(), secret: "not-the-signing-secret-0123456789");

        Assert.Equal(401, answer.StatusCode);
        Assert.Null(answer.Body);
        Assert.Empty(_rig.Queue.Sent);
    }

    [Fact]
    public async Task Events_AppHomeOpened_QueuesThePublish_AndARetryIsHarmless()
    {
        var first = await PostEventAsync(HomeOpened());
        var retry = await PostEventAsync(HomeOpened(), retry: "1");

        Assert.Equal((200, 200), (first.StatusCode, retry.StatusCode));
        var sent = _rig.Queue.On<EffectsMessage>(QueueNames.Effects);
        Assert.All(sent, m => Assert.Equal(new PublishHome("UALICE"), m));
        Assert.Equal(2, sent.Count);

        // Both publishes show the same tab: the second changes nothing.
        await SeedPendingAsync(ChangeKind.Add, TestData.SsoUser("bob@example.com"));
        var home = _rig.Home();
        foreach (var m in sent)
        {
            await home.OpenedAsync((PublishHome)m, default);
        }
        var tabs = _rig.Slack.HomeViews.ToArray();
        Assert.Equal(2, tabs.Length);
        Assert.Equal(tabs[0].View.ToJsonString(), tabs[1].View.ToJsonString());
        Assert.Single((await _rig.Threads.GetAsync(HomeTabService.ViewersRow, default))!.Value.Users);
    }

    [Fact]
    public async Task Events_MessagesTabOrOtherEvents_AreAcknowledged_NothingQueued()
    {
        Assert.Equal(200, (await PostEventAsync(HomeOpened(tab: "messages"))).StatusCode);
        Assert.Equal(200, (await PostEventAsync("""{"type":"event_callback","event":{"type":"member_joined_channel","user":"U1"}}""")).StatusCode);
        Assert.Empty(_rig.Queue.Sent);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"url_verification"}""")]
    [InlineData("""{"type":"event_callback","event":{"type":"app_home_opened","tab":"home","user":"<!channel>"}}""")]
    public async Task Events_BadBodies_Are400(string json)
    {
        var answer = await PostEventAsync(json);

        Assert.Equal(400, answer.StatusCode);
        Assert.Empty(_rig.Queue.Sent);
    }

    [Fact]
    public async Task Events_QueueDown_Is503_SoSlackRetries()
    {
        var answer = await PostEventAsync(HomeOpened(), queue: new FailingQueue());

        Assert.Equal(503, answer.StatusCode);
    }

    private sealed class FailingQueue : IQueueSender
    {
        public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken) => throw new InvalidOperationException("queue down");

        public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) => throw new InvalidOperationException("queue down");
    }

    // ---- what the tab shows --------------------------------------------------------------------------------------

    private async Task<ChangeRequest> SeedPendingAsync(ChangeKind kind, Requester? requester = null, int port = 22, string cidr = "0.0.0.0/0", DateTimeOffset? at = null)
    {
        var change = TestData.Change(kind, eventId: Guid.NewGuid().ToString(), requester: requester ?? TestData.SsoUser()) with { Rules = [TestData.Tcp(port, cidr)] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, at ?? Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), at ?? Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        await _rig.Threads.ShowAsync("CAPPROVERS", $"{1000 + _rig.Requests.All.Count}.000100", _rig.Requests, r.Id);
        return r;
    }

    private async Task<ChangeRequest> SeedLiveAccessAsync(Requester requester)
    {
        var r = await SeedPendingAsync(ChangeKind.Add, requester, 443, "10.0.0.0/8");
        var stored = (await _rig.Requests.GetAsync(r.Id, default))!;
        stored.Value.Approve("UAPPROVER1", "approver", Now, TimeSpan.FromHours(8));
        stored.Value.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), Now);
        await _rig.Requests.ReplaceAsync(stored.Value, stored.ETag, default);
        // As the apply does: the grant's end in the access-expiry index (what the Home tab lists live access from).
        await _rig.Expiries.AddAsync(new AccessExpiryEntry(stored.Value.AccessUntil!.Value, r.Id, r.AccountId, r.Region, r.GroupId!), default);
        return stored.Value;
    }

    private static IReadOnlyList<string> ActionIdsOf(JsonObject view) =>
        ((JsonArray)view["blocks"]!).OfType<JsonObject>().Where(b => (string?)b["type"] == "actions")
            .SelectMany(b => ((JsonArray)b["elements"]!).OfType<JsonObject>()).Select(e => (string)e["action_id"]!).ToList();

    [Fact]
    public async Task Opened_Approver_SeesTheRequestsWaiting_NewestFirst_WithTheSameChoices()
    {
        var older = await SeedPendingAsync(ChangeKind.Add, at: Now.AddMinutes(-30));
        var newer = await SeedPendingAsync(ChangeKind.Remove, at: Now.AddMinutes(-5));

        await _rig.Home().OpenedAsync(new PublishHome("UAPPROVER1"), default);

        var (user, view) = Assert.Single(_rig.Slack.HomeViews);
        Assert.Equal("UAPPROVER1", user);
        Assert.Empty(SlackPayloadValidator.CheckView(view));
        Assert.Equal("home", (string?)view["type"]);
        var json = view.ToJsonString();
        Assert.True(json.IndexOf(newer.Id, StringComparison.Ordinal) < json.IndexOf(older.Id, StringComparison.Ordinal), "newest first");
        var actions = ActionIdsOf(view);
        // The risky add: its duration select (one confirm) and Deny; the removal: a plain Approve (no duration) and Deny.
        Assert.Contains(ActionIds.For(ActionIds.ApproveFor, older.Id), actions);
        Assert.Contains(ActionIds.For(ActionIds.Deny, older.Id), actions);
        Assert.Contains(ActionIds.For(ActionIds.Approve, newer.Id), actions);
        Assert.Contains("Waiting for you (2)", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opened_Requester_SeesTheirRequests_AndLiveAccessWithExtendAndRevoke_NotOthers()
    {
        var mine = await SeedPendingAsync(ChangeKind.Add);
        var live = await SeedLiveAccessAsync(TestData.SsoUser());
        var someoneElses = await SeedPendingAsync(ChangeKind.Add, TestData.SsoUser("bob@example.com"));

        await _rig.Home().OpenedAsync(new PublishHome("UALICE"), default);

        var (_, view) = Assert.Single(_rig.Slack.HomeViews);
        var json = view.ToJsonString();
        Assert.Contains(mine.Id, json, StringComparison.Ordinal);
        Assert.DoesNotContain(someoneElses.Id, json, StringComparison.Ordinal);
        Assert.DoesNotContain("Waiting for you", json, StringComparison.Ordinal); // not an approver
        Assert.Equal([ActionIds.For(ActionIds.ExtendAccess, live.Id), ActionIds.For(ActionIds.RevokeAccess, live.Id)], ActionIdsOf(view));
        Assert.Contains("until", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Home_ManyRequests_StaysWithin100Blocks_AndCountsTheRest()
    {
        var waiting = Enumerable.Range(0, 200).Select(i => SlackPayloadMatrix.Request(i, ChangeKind.Add, 60, RequestStatus.Pending)).ToList();
        var mine = Enumerable.Range(300, 80).Select(i => SlackPayloadMatrix.Request(i, ChangeKind.Add, 60, RequestStatus.Pending)).ToList();

        var view = ApprovalMessageBuilder.Home(new HomeContent("UAPPROVER1", true, waiting, mine, ApprovalsOptions.ParseDurations(ApprovalsOptions.DefaultDurations),
            new Dictionary<string, string>(), Now));

        Assert.Empty(SlackPayloadValidator.CheckView(view));
        var blocks = (JsonArray)view["blocks"]!;
        Assert.InRange(blocks.Count, 5, SlackLimits.BlocksPerView);
        Assert.InRange(ApprovalMessageBuilder.TextLength(blocks), 1, SlackLimits.TotalBlockText);
        var json = view.ToJsonString();
        Assert.Matches("and [0-9]+ more waiting", json);
        Assert.Matches("and [0-9]+ more yours", json);
    }

    // ---- decisions from the tab ----------------------------------------------------------------------------------

    private static string HomeClickBody(string actionId, string value, string user, string? selected = null)
    {
        var action = selected is null
            ? $$"""{"action_id":"{{actionId}}","block_id":"b","value":"{{value}}","type":"button","action_ts":"1700000000.1"}"""
            : $$"""{"action_id":"{{actionId}}","block_id":"b","type":"static_select","selected_option":{"value":"{{selected}}"},"action_ts":"1700000000.1"}""";
        var payload = $$"""
            {"type":"block_actions","user":{"id":"{{user}}","username":"{{user.ToLowerInvariant()}}","team_id":"T0001"},"api_app_id":"A0001","token":"legacy",
             "trigger_id":"1.2.3","team":{"id":"T0001","domain":"acme"},
             "container":{"type":"view","view_id":"VHOME0001"},
             "view":{"id":"VHOME0001","type":"home","callback_id":"sgbridge_home","private_metadata":"","blocks":[]},
             "actions":[{{action}}]}
            """;
        return "payload=" + Uri.EscapeDataString(payload);
    }

    private async Task<DecisionResult> HomeClickAsync(string actionId, string value, string user, string? selected = null)
    {
        var body = HomeClickBody(actionId, value, user, selected);
        return await _rig.PostAsync(body, Now.ToUnixTimeSeconds());
    }

    [Fact]
    public void Parser_HomeTabClick_IsAccepted_AModalClickIsNot()
    {
        var home = SlackInboundParser.ParseInteraction(HomeClickBody(ActionIds.For(ActionIds.Deny, "SG-X"), "SG-X", "UAPPROVER1"));
        var click = Assert.IsType<SlackInteraction>(home.Value);
        Assert.True(click.FromHome);
        Assert.Equal("VHOME0001", click.HomeViewId);

        var modal = SlackInboundParser.ParseInteraction(HomeClickBody("x", "SG-X", "U1").Replace("%22home%22", "%22modal%22", StringComparison.Ordinal));
        Assert.Null(modal.Value);
        Assert.Contains("not the Home tab", modal.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HomeClick_ApproveForADuration_Decides_AndTheReplyIsADm()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);

        var result = await HomeClickAsync(ActionIds.For(ActionIds.ApproveFor, r.Id), "", "UAPPROVER1",
            selected: ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "8h", r.Id));

        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
        var stored = (await _rig.Requests.GetAsync(r.Id, default))!.Value;
        Assert.Equal((RequestStatus.Approved, TimeSpan.FromHours(8)), (stored.Status, stored.ApprovedFor!.Value));
    }

    [Fact]
    public async Task HomeClick_ByANonApprover_DecidesNothing_AndTellsThemInADm()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);

        var result = await HomeClickAsync(ActionIds.For(ActionIds.Deny, r.Id), r.Id, "UMALLORY");

        Assert.Equal(DecisionOutcome.NotAnApprover, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _rig.Requests.GetAsync(r.Id, default))!.Value.Status);
        var dm = Assert.Single(_rig.Slack.Posts);
        Assert.Equal("UMALLORY", dm.Channel);
        Assert.Empty(_rig.Slack.Ephemerals);
    }

    [Fact]
    public async Task HomeClick_SelfApproval_IsStillRefused()
    {
        _rig.Slack.UsersByEmail["alice@example.com"] = "UAPPROVER1";
        var r = await SeedPendingAsync(ChangeKind.Add);

        var result = await HomeClickAsync(ActionIds.For(ActionIds.ApproveFor, r.Id), "", "UAPPROVER1",
            selected: ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", r.Id));

        Assert.Equal(DecisionOutcome.SelfApproval, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _rig.Requests.GetAsync(r.Id, default))!.Value.Status);
    }

    [Fact]
    public async Task HomeClick_ApproveAll_IsNotOnTheHomeTab_DecidesNothing()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);

        var result = await HomeClickAsync(ActionIds.For(ActionIds.ApproveAll, r.Id), r.Id, "UAPPROVER1");

        Assert.Equal(DecisionOutcome.NotOnThisMessage, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _rig.Requests.GetAsync(r.Id, default))!.Value.Status);
    }

    // ---- refreshed as an effect of the transition ----------------------------------------------------------------

    [Fact]
    public async Task Decision_RaisesRefreshHome_AndTheEffectRepublishesTheApproversTab_WithoutTheDecidedRequest()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);
        var other = await SeedPendingAsync(ChangeKind.Add, TestData.SsoUser("bob@example.com"), 3389);
        await _rig.Home().OpenedAsync(new PublishHome("UAPPROVER1"), default);
        await _rig.Home().OpenedAsync(new PublishHome("UALICE"), default);
        _rig.Slack.HomeViews.Clear();

        var result = await HomeClickAsync(ActionIds.For(ActionIds.Deny, r.Id), r.Id, "UAPPROVER1");
        Assert.Equal(DecisionOutcome.Denied, result.Outcome);
        var denied = (await _rig.Requests.GetAsync(r.Id, default))!.Value;
        Assert.Single(denied.Effects, e => e.Kind == EffectKind.RefreshHome);

        await _rig.PerformAsync(r.Id, EffectKind.RefreshHome);

        var tabs = _rig.Slack.HomeViews.ToDictionary(t => t.User, t => t.View.ToJsonString());
        Assert.Equal(["UALICE", "UAPPROVER1"], tabs.Keys.Order());
        Assert.DoesNotContain(r.Id, tabs["UAPPROVER1"], StringComparison.Ordinal);
        Assert.Contains(other.Id, tabs["UAPPROVER1"], StringComparison.Ordinal);
        Assert.DoesNotContain(r.Id, tabs["UALICE"], StringComparison.Ordinal); // denied: no longer open
        Assert.DoesNotContain((await _rig.Requests.GetAsync(r.Id, default))!.Value.Effects, e => e.Kind == EffectKind.RefreshHome);
    }

    [Fact]
    public async Task RefreshHome_NobodyOpenedTheTab_PublishesNothing()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);

        await _rig.PerformAsync(r.Id, EffectKind.RefreshHome);

        Assert.Empty(_rig.Slack.HomeViews);
        Assert.DoesNotContain((await _rig.Requests.GetAsync(r.Id, default))!.Value.Effects, e => e.Kind == EffectKind.RefreshHome);
    }

    [Fact]
    public async Task RefreshHome_SlackRefusesThePublish_TheEffectStaysPending()
    {
        var r = await SeedPendingAsync(ChangeKind.Add);
        await _rig.Home().OpenedAsync(new PublishHome("UAPPROVER1"), default);
        _rig.Slack.Refuse = (method, _, _) => method == "views.publish" ? new SlackApiException("views.publish", "not_enabled") : null;

        await Assert.ThrowsAsync<SlackApiException>(() => _rig.PerformAsync(r.Id, EffectKind.RefreshHome));

        Assert.Contains((await _rig.Requests.GetAsync(r.Id, default))!.Value.Effects, e => e.Kind == EffectKind.RefreshHome);
    }
}
