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

    private RevertReasonService Service() => _rig.Bridge.Reasons();

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
        UserId = user, ChannelId = "DALICE", MessageTs = "1.1",
        ActionId = actionId ?? ActionIds.For(ActionIds.GiveReason, id), Value = id, TriggerId = "1.2.3",
    };

    private static SlackViewSubmission Submit(string id, string? reason, string user = "UALICE", string viewId = "VREASON1") =>
        new(viewId, ActionIds.ReasonCallback, id, user, "alice", "T1", null, new Dictionary<string, string?> { [RequestBlocks.Reason] = reason });

    private IEnumerable<(string Channel, string Text, JsonArray? Blocks, string? ThreadTs)> Dms() => _rig.Slack.Posts.Where(p => p.Channel == "UALICE");

    /// <summary>The nudge the revert's write sends for its reason DM (the AskReason effect).</summary>
    private async Task<NudgeEffects> AskNudgeAsync(string id) =>
        new(id, (await StoredAsync(id)).Effects.Where(e => e.Kind == EffectKind.AskReason).Select(e => e.Id).ToArray());

    private Task PerformAsync(NudgeEffects nudge) => _rig.Effects().PerformAsync(nudge, 1, default);

    [Fact]
    public async Task AskReason_NudgeDeliveredTwice_DmsTheRequesterOnce_WithAGiveReasonButton()
    {
        var r = await RevertedAsync();
        var nudge = await AskNudgeAsync(r.Id);
        Assert.Single(nudge.EffectIds); // the revert's transition raised it, in the same write

        await PerformAsync(nudge);
        await PerformAsync(nudge); // a redelivered nudge: the effect was cleared, nothing to do

        var dm = Assert.Single(Dms());
        Assert.Contains(ActionIds.For(ActionIds.GiveReason, r.Id), dm.Blocks!.ToJsonString());
        Assert.DoesNotContain((await StoredAsync(r.Id)).Effects, e => e.Kind == EffectKind.AskReason);
    }

    [Fact]
    public async Task AskReason_SlackDown_StaysPending_ThenAsksOnce_WhenSlackIsBack()
    {
        var r = await RevertedAsync();
        var nudge = await AskNudgeAsync(r.Id);
        _rig.Slack.FailPosts = new SlackApiException("chat.postMessage", "service_unavailable");

        await Assert.ThrowsAsync<SlackApiException>(() => PerformAsync(nudge));
        Assert.Contains((await StoredAsync(r.Id)).Effects, e => e.Kind == EffectKind.AskReason); // delayed, not lost
        _rig.Slack.FailPosts = null;
        await PerformAsync(nudge);
        await PerformAsync(nudge);

        Assert.Single(Dms());
    }

    [Fact]
    public async Task AskReason_DecidedBeforeTheDm_AsksNobody_AndIsCleared()
    {
        var r = await RevertedAsync();
        var nudge = await AskNudgeAsync(r.Id);
        await _rig.Lifecycle().ChangeAsync(r.Id, x => { x.Deny("UAPPROVER1", "approver", Now); return true; }, default);

        await PerformAsync(nudge);

        Assert.Empty(Dms());
        Assert.DoesNotContain((await StoredAsync(r.Id)).Effects, e => e.Kind == EffectKind.AskReason);
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

        var result = await _rig.ClickAsync(Click(r.Id));

        Assert.Null(result.Reply);
        var (trigger, view) = Assert.Single(_rig.Views.Opened);
        Assert.Equal(("1.2.3", ActionIds.ReasonCallback), (trigger, (string?)view["callback_id"]));
        // The request id travels sealed for the requester who clicked: only their submission of this modal opens it again.
        var seal = new ModalSeal(O.Create(_rig.Options), _rig.Time);
        Assert.Equal(r.Id, seal.Open((string?)view["private_metadata"], ActionIds.ReasonCallback, "UALICE").Data);
        Assert.False(seal.Open((string?)view["private_metadata"], ActionIds.ReasonCallback, "UMALLORY").IsValid);
    }

    [Fact]
    public async Task Open_BySomeoneElse_IsRefused()
    {
        var r = await RevertedAsync();

        var result = await _rig.ClickAsync(Click(r.Id, user: "UMALLORY"));

        Assert.Equal(DecisionOutcome.NotTheRequester, result.Outcome);
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Open_ForgedButton_ActionIdNamesAnotherRequest_IsRefused()
    {
        var r = await RevertedAsync();
        var other = await RevertedAsync();

        var result = await _rig.ClickAsync(Click(r.Id, actionId: ActionIds.For(ActionIds.GiveReason, other.Id)));

        Assert.Equal(DecisionOutcome.BadRequest, result.Outcome);
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Open_SlackTooSlow_AnswersWithinBudget_WithAReply()
    {
        var r = await RevertedAsync();
        _rig.Views.Hang = true;
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = await _rig.ClickAsync(Click(r.Id));

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
        Assert.Contains(stored.Effects, e => e.Kind == EffectKind.Render); // the reason's write raised the re-render
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
        Assert.Single(_rig.Queue.On<EffectsMessage>(QueueNames.Effects)); // one write, one nudge
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
        Assert.Empty(_rig.Queue.On<EffectsMessage>(QueueNames.Effects));
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
