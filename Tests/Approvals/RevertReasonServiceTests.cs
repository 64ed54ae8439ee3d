using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using SgBridge.Tests.Slack.Requests;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The requester's reason after a revert: asked once (a redelivery does not DM again), only the requester may open the
/// modal or submit, only while Pending; empty / over-long reasons are refused naming the field; a second reason replaces
/// the first; a duplicated submission writes nothing; Slack failing to DM never throws and is counted.
/// </summary>
public class RevertReasonServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackRig _rig;
    private readonly RecordingViews _views = new();

    public RevertReasonServiceTests()
    {
        _rig = new SlackRig(new SlackOptions
        {
            BotToken = "xoxb-test",
            SigningSecret = SlackSigning.Secret,
            ApproversChannel = "CAPPROVERS",
            MonitoringChannel = "CMONITOR",
            ApproverUserIds = "UAPPROVER1",
        }, new FakeTimeProvider(Now));
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
    }

    private RevertReasonService Service() => new(_rig.Slack, _views, new ApproverDirectory(_rig.Slack, O.Create(_rig.Options), _rig.Time), _rig.Requests,
        new QueueRequestNotifier(_rig.Queue), _rig.Time, NullLogger<RevertReasonService>.Instance, _rig.Telemetry);

    private async Task<ChangeRequest> RevertedAsync()
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        return r;
    }

    private async Task<ChangeRequest> StoredAsync(string id) => (await _rig.Requests.GetAsync(id, default))!.Value;

    private static SlackInteraction Click(string id, string user = "UALICE", string? actionId = null) => new()
    {
        UserId = user, ChannelId = "DALICE", MessageTs = "1.1", ResponseUrl = "https://hooks.slack.com/actions/x",
        ActionId = actionId ?? ActionIds.For(ActionIds.GiveReason, id), Value = id, TriggerId = "1.2.3",
    };

    private static SlackViewSubmission Submit(string id, string? reason, string user = "UALICE", string viewId = "VREASON1") =>
        new(viewId, RevertReasonService.Callback, id, user, "alice", "T1", null, new Dictionary<string, string?> { [RequestBlocks.Reason] = reason });

    /// <summary>The notifier with the reason DM wired in, as the host builds it.</summary>
    private NotificationService Notifier() => new(_rig.Requests, _rig.Threads, _rig.Queue, _rig.Slack, new ApproverDirectory(_rig.Slack, O.Create(_rig.Options), _rig.Time),
        _rig.Routing(), O.Create(_rig.Options), O.Create(_rig.Policy), _rig.Time, NullLogger<NotificationService>.Instance, reasons: Service());

    private static RequestNotification Carrying(ChangeRequest r) => new(r.Id, r.Status, Request: r);

    private IEnumerable<(string Channel, string Text, JsonArray? Blocks, string? ThreadTs)> Dms() => _rig.Slack.Posts.Where(p => p.Channel == "UALICE");

    [Fact]
    public async Task Notify_DeliveredTwice_DmsTheRequesterOnce_WithAGiveReasonButton_AndWritesNoRequest()
    {
        var r = await RevertedAsync();
        var (reads, writes) = (_rig.Requests.Reads, _rig.Requests.Writes);

        await Notifier().NotifyAsync(Carrying(r), default);
        await Notifier().NotifyAsync(Carrying(r), default); // a redelivered notification carries the same request

        var dm = Assert.Single(Dms());
        Assert.Contains(ActionIds.For(ActionIds.GiveReason, r.Id), dm.Blocks!.ToJsonString());
        // The claim is the membership insert: the request row is neither read nor written for the DM.
        Assert.Equal((reads, writes), (_rig.Requests.Reads, _rig.Requests.Writes));
        Assert.Null((await StoredAsync(r.Id)).ReasonAskedAt);
    }

    [Fact]
    public async Task Notify_TwoDeliveriesAtOnce_DmOnce()
    {
        var r = await RevertedAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Notifier().NotifyAsync(Carrying(r), default))));

        Assert.Single(Dms());
    }

    [Fact]
    public async Task Notify_CrashAfterTheMembershipInsert_BeforeTheDm_RedeliveryDoesNotAsk_ButShowsTheRequest()
    {
        var r = await RevertedAsync();
        // The process dies in the DM call: the membership row (the claim) is written, the DM is not sent.
        _rig.Slack.Refuse = (method, channel, _) => method == "chat.postMessage" && channel == "UALICE" ? new InvalidOperationException("process died") : null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Notifier().NotifyAsync(Carrying(r), default));
        Assert.NotNull(_rig.Threads.Membership(r.Id));
        _rig.Slack.Refuse = null;

        await Notifier().NotifyAsync(Carrying(r), default);

        Assert.Empty(Dms()); // at most once: lost, never doubled
        Assert.Single(_rig.Slack.Posts, p => p.Channel == "CAPPROVERS");
    }

    [Fact]
    public async Task Notify_JoiningABatch_CrashBeforeTheDm_RedeliveryDoesNotAsk_TheLeadWasAskedOnce()
    {
        _rig.Options.BatchWindow = TimeSpan.FromMinutes(2);
        var lead = await RevertedAsync();
        await Notifier().NotifyAsync(Carrying(lead), default);
        var joiner = await RevertedAsync();
        _rig.Slack.Refuse = (method, channel, _) => method == "chat.postMessage" && channel == "UALICE" ? new InvalidOperationException("process died") : null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Notifier().NotifyAsync(Carrying(joiner), default));
        Assert.Equal(lead.Id, _rig.Threads.Membership(joiner.Id)!.LeadId); // joined (the claim) before the DM
        _rig.Slack.Refuse = null;

        await Notifier().NotifyAsync(Carrying(joiner), default);
        await Notifier().NotifyAsync(Carrying(lead), default);

        var dm = Assert.Single(Dms());
        Assert.Contains(ActionIds.For(ActionIds.GiveReason, lead.Id), dm.Blocks!.ToJsonString());
    }

    [Fact]
    public async Task Notify_LaterStateFirst_ThenTheLatePendingNotice_AsksNobody()
    {
        var r = await RevertedAsync();
        var pending = Carrying(r);
        await _rig.Requests.UpdateAsync(r.Id, x => { x.Deny("UAPPROVER1", "approver", Now); return true; }, default);
        var denied = await StoredAsync(r.Id);

        await Notifier().NotifyAsync(Carrying(denied), default); // first placement, but in a later state: nothing to ask
        await Notifier().NotifyAsync(pending, default);           // the Pending notice arrives late: placed already

        Assert.Empty(Dms());
    }

    [Fact]
    public async Task Notify_RowAskedByAnEarlierVersion_IsNotAskedAgain()
    {
        var r = await RevertedAsync();
        await _rig.Requests.UpdateAsync(r.Id, x => x.MarkReasonAsked(Now), default); // ReasonAskedAt as earlier versions wrote it

        await Notifier().NotifyAsync(Carrying(await StoredAsync(r.Id)), default);

        Assert.Empty(Dms());
        Assert.Single(_rig.Slack.Posts, p => p.Channel == "CAPPROVERS");
    }

    [Fact]
    public async Task Ask_RequesterNotInSlack_AsksNobody_AndBlocksNothing()
    {
        _rig.Slack.UsersByEmail.Clear();
        var r = await RevertedAsync();

        await Service().AskAsync(r, default);

        Assert.Empty(_rig.Slack.Posts);
        Assert.Equal(RequestStatus.Pending, (await StoredAsync(r.Id)).Status);
    }

    [Fact]
    public async Task Ask_SlackFails_DoesNotThrow_AndIsCounted()
    {
        var r = await RevertedAsync();
        _rig.Slack.FailPosts = new SlackApiException("chat.postMessage", "channel_not_found");
        var failures = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Name == "sgbridge.failures") { l.EnableMeasurementEvents(i); } };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) => { foreach (var t in tags) { if (t.Value as string == "reason_ask") { failures += v; } } });
        listener.Start();

        await Service().AskAsync(r, default);

        Assert.Equal(1, failures);
    }

    [Fact]
    public async Task Ask_SlackRequestOrDecidedRequest_IsNotAsked()
    {
        var r = await RevertedAsync();
        await _rig.Requests.UpdateAsync(r.Id, x => { x.Deny("UAPPROVER1", "approver", Now); return true; }, default);

        await Service().AskAsync(await StoredAsync(r.Id), default);

        Assert.Empty(_rig.Slack.Posts);
    }

    [Fact]
    public async Task Open_ByTheRequester_OpensTheModal_ForThatRequest()
    {
        var r = await RevertedAsync();

        var result = await Service().OpenAsync(Click(r.Id), default);

        Assert.Null(result.Reply);
        var (trigger, view) = Assert.Single(_views.Opened);
        Assert.Equal(("1.2.3", RevertReasonService.Callback, r.Id), (trigger, (string?)view["callback_id"], (string?)view["private_metadata"]));
    }

    [Fact]
    public async Task Open_BySomeoneElse_IsRefused()
    {
        var r = await RevertedAsync();

        var result = await Service().OpenAsync(Click(r.Id, user: "UMALLORY"), default);

        Assert.Equal(DecisionOutcome.NotTheRequester, result.Outcome);
        Assert.Empty(_views.Opened);
    }

    [Fact]
    public async Task Open_ForgedButton_ActionIdNamesAnotherRequest_IsRefused()
    {
        var r = await RevertedAsync();
        var other = await RevertedAsync();

        var result = await Service().OpenAsync(Click(r.Id, actionId: ActionIds.For(ActionIds.GiveReason, other.Id)), default);

        Assert.Equal(DecisionOutcome.BadRequest, result.Outcome);
        Assert.Empty(_views.Opened);
    }

    [Fact]
    public async Task Open_SlackTooSlow_AnswersWithinBudget_WithAReply()
    {
        var r = await RevertedAsync();
        _views.Hang = true;
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = await Service().OpenAsync(Click(r.Id), default);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), watch.Elapsed.ToString());
        Assert.Contains("could not open", result.Reply);
    }

    [Fact]
    public async Task Submit_StoresTheReason_AndReRendersTheApproverMessage()
    {
        var r = await RevertedAsync();

        var answer = await Service().SubmitAsync(Submit(r.Id, "  deploying <b>&hotfix  "), default);

        Assert.Equal("update", (string?)answer.Body!["response_action"]);
        var stored = await StoredAsync(r.Id);
        Assert.Equal(("deploying <b>&hotfix", "UALICE", 1), (stored.RequesterReason!.Text, stored.RequesterReason.SlackUserId, stored.RequesterReason.Revision));
        Assert.Single(_rig.Queue.On<RequestNotification>(QueueNames.Notifications));
        var line = ReasonMessages.Line(stored);
        Assert.Contains("deploying &lt;b&gt;&amp;hotfix", line);
        Assert.DoesNotContain("<b>", line);
    }

    [Fact]
    public async Task Submit_Twice_SecondReplacesTheFirst_AndSaysSo()
    {
        var r = await RevertedAsync();
        await Service().SubmitAsync(Submit(r.Id, "first"), default);

        var answer = await Service().SubmitAsync(Submit(r.Id, "second", viewId: "VREASON2"), default);

        Assert.Contains("replaces", answer.Body!["view"]!.ToJsonString());
        var stored = await StoredAsync(r.Id);
        Assert.Equal(("second", 2), (stored.RequesterReason!.Text, stored.RequesterReason.Revision));
        Assert.Contains("updated", ReasonMessages.Line(stored));
    }

    [Fact]
    public async Task Submit_Duplicated_WritesOnce()
    {
        var r = await RevertedAsync();
        await Service().SubmitAsync(Submit(r.Id, "why"), default);

        var again = await Service().SubmitAsync(Submit(r.Id, "why"), default);

        Assert.StartsWith("unchanged", again.Detail);
        Assert.Equal(1, (await StoredAsync(r.Id)).RequesterReason!.Revision);
        Assert.Single(_rig.Queue.On<RequestNotification>(QueueNames.Notifications));
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("   ", "empty")]
    [InlineData("x", "too long")]
    public async Task Submit_BadReason_ErrorNamesTheReasonField(string? reason, string why)
    {
        var r = await RevertedAsync();
        var text = why == "too long" ? new string('x', ChangeRequest.MaxReasonLength + 1) : reason;

        var answer = await Service().SubmitAsync(Submit(r.Id, text), default);

        Assert.Equal("errors", (string?)answer.Body!["response_action"]);
        Assert.NotNull(answer.Body["errors"]![RequestBlocks.Reason]);
        Assert.Null((await StoredAsync(r.Id)).RequesterReason);
    }

    [Fact]
    public async Task Submit_ExactlyTheLimit_IsKept()
    {
        var r = await RevertedAsync();

        await Service().SubmitAsync(Submit(r.Id, new string('y', ChangeRequest.MaxReasonLength)), default);

        Assert.Equal(ChangeRequest.MaxReasonLength, (await StoredAsync(r.Id)).RequesterReason!.Text.Length);
    }

    [Fact]
    public async Task Submit_ByAnotherUser_IsRefused()
    {
        var r = await RevertedAsync();

        var answer = await Service().SubmitAsync(Submit(r.Id, "let me in", user: "UMALLORY"), default);

        Assert.Equal("errors", (string?)answer.Body!["response_action"]);
        Assert.Null((await StoredAsync(r.Id)).RequesterReason);
    }

    [Fact]
    public async Task Submit_WrongRequest_IsRefused()
    {
        var answer = await Service().SubmitAsync(Submit(RequestId.For("no-such-event"), "why"), default);

        Assert.Equal("errors", (string?)answer.Body!["response_action"]);
        Assert.Contains("does not exist", answer.Body["errors"]![RequestBlocks.Reason]!.ToString());
    }

    [Fact]
    public async Task Submit_NoLongerPending_IsRefused_AndNothingWritten()
    {
        var r = await RevertedAsync();
        await _rig.Requests.UpdateAsync(r.Id, x => { x.Deny("UAPPROVER1", "approver", Now); return true; }, default);

        var answer = await Service().SubmitAsync(Submit(r.Id, "too late"), default);

        Assert.Equal("errors", (string?)answer.Body!["response_action"]);
        Assert.Null((await StoredAsync(r.Id)).RequesterReason);
        Assert.Empty(_rig.Queue.On<RequestNotification>(QueueNames.Notifications));
    }

    [Fact]
    public void Domain_RecordReason_OnlyWhilePending()
    {
        var change = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        r.Deny("UAPPROVER1", null, Now);

        Assert.Throws<RequestStateException>(() => r.RecordReason("why", "UALICE", Now));
        var ex = Assert.Throws<ArgumentException>(() => ChangeRequest.Open("x", change, Now).RecordReason(" ", "UALICE", Now));
        Assert.Contains("reason", ex.Message);
    }
}
