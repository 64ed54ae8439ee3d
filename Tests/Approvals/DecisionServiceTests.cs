using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

public class DecisionServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly SlackOptions _options = new()
    {
        BotToken = "xoxb-test",
        SigningSecret = SlackSigning.Secret,
        ApproversChannel = "CAPPROVERS",
        MonitoringChannel = "CMONITOR",
        ApproverUserIds = "UAPPROVER1",
        ApproverUserGroupIds = "SSECURITY",
    };
    private readonly SlackRig _rig;

    public DecisionServiceTests()
    {
        _rig = new SlackRig(_options, new FakeTimeProvider(Now));
        // The default requester (an Identity Center session) is a known Slack user who is not an approver.
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
    }

    private InMemoryRequestStore _requests => _rig.Requests;
    private RecordingQueue _queue => _rig.Queue;
    private RecordingSlackClient _slack => _rig.Slack;

    /// <summary>A pending request, shown in its own approvers' message (CAPPROVERS, 1001.000100) as the notifier would show it.</summary>
    private async Task<string> PendingRequestAsync(Requester? requester = null, bool shown = true)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString(), requester: requester) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _requests.AddOrGetAsync(r, default);
        if (shown)
        {
            await _rig.Threads.ShowAtHomeAsync("CAPPROVERS", $"{1000 + _requests.All.Count}.000100", r);
        }
        return r.Id;
    }

    private Task<DecisionResult> ClickAsync(string action, string requestId, string user, long? timestamp = null, string? secret = null) =>
        _rig.ClickAsync(action, requestId, user, timestamp: timestamp, secret: secret);

    [Fact]
    public async Task HandleAsync_ApproverApproves_RecordsAndQueuesOneApply()
    {
        var id = await PendingRequestAsync();

        var result = await ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        Assert.Equal((DecisionOutcome.Approved, 200), (result.Outcome, result.StatusCode));
        var stored = (await _requests.GetAsync(id, default))!.Value;
        Assert.Equal((RequestStatus.Approved, "UAPPROVER1", Now), (stored.Status, stored.DecidedBy, stored.DecidedAt!.Value));
        // The apply, the render and the Home tabs' refresh are effects on the row, written by the decision's one write; one nudge names them.
        Assert.Equal([id], _requests.AppliesRecorded);
        var effects = stored.Effects.Where(e => e.Kind is EffectKind.Apply or EffectKind.Render or EffectKind.RefreshHome).Select(e => e.Id).ToArray();
        Assert.Equal(3, effects.Length);
        var nudge = Assert.IsType<NudgeEffects>(Assert.Single(_queue.On<EffectsMessage>(QueueNames.Effects)));
        Assert.Equal(id, nudge.RequestId);
        Assert.Equal(effects.Order(), nudge.EffectIds.Order());
    }

    [Fact]
    public async Task HandleAsync_Deny_RecordsAndQueuesNoApply()
    {
        var id = await PendingRequestAsync();

        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, id, "UAPPROVER1")).Outcome);

        Assert.Equal(RequestStatus.Denied, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_requests.AppliesRecorded);
    }

    [Fact]
    public async Task HandleAsync_NotAnApprover_ChangesNothingAndSaysSoPrivately()
    {
        var id = await PendingRequestAsync();

        var result = await ClickAsync(ActionIds.Approve, id, "UINTRUDER");

        Assert.Equal(DecisionOutcome.NotAnApprover, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_queue.Sent);
        var note = Assert.Single(_slack.Ephemerals);
        Assert.Equal(("CAPPROVERS", "UINTRUDER"), (note.Channel, note.User));
        Assert.Contains("not an approver", note.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_UserGroupMember_IsAnApprover_AndTheGroupIsCached()
    {
        _slack.Groups["SSECURITY"] = ["UMEMBER"];
        var first = await PendingRequestAsync();
        var second = await PendingRequestAsync(TestData.IamUser("someone-else")) ;

        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ActionIds.Approve, first, "UMEMBER")).Outcome);
        Assert.Equal(1, _slack.GroupLookups);
        Assert.Equal(DecisionOutcome.NotAnApprover, (await ClickAsync(ActionIds.Approve, second, "UOUTSIDER")).Outcome);
    }

    [Fact]
    public async Task HandleAsync_RequesterApprovesOwnChange_IsRefused()
    {
        _slack.UsersByEmail["alice@example.com"] = "UAPPROVER1";
        var id = await PendingRequestAsync(TestData.SsoUser("alice@example.com"));

        var result = await ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        Assert.Equal(DecisionOutcome.SelfApproval, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Contains("cannot approve", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_RequesterDeniesOwnChange_IsAllowed()
    {
        _slack.UsersByEmail["alice@example.com"] = "UAPPROVER1";
        var id = await PendingRequestAsync(TestData.SsoUser("alice@example.com"));
        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public async Task HandleAsync_SecondClick_IsToldWhoDecided()
    {
        _options.ApproverUserIds = "UAPPROVER1,UAPPROVER2";
        var id = await PendingRequestAsync();
        await ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        var second = await ClickAsync(ActionIds.Deny, id, "UAPPROVER2");

        Assert.Equal(DecisionOutcome.AlreadyDecided, second.Outcome);
        Assert.Equal(RequestStatus.Approved, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Contains("is already approved, applying (decided by <@UAPPROVER1> <!date^1795521600^{date_short_pretty} {time}|2026-11-24 12:00 UTC>).", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
        Assert.Single(_requests.AppliesRecorded);
    }

    [Fact]
    public async Task HandleAsync_FiftyConcurrentClicks_ExactlyOneWins()
    {
        _options.ApproverUserIds = string.Join(",", Enumerable.Range(0, 50).Select(i => $"U{i:D3}"));
        var id = await PendingRequestAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => ClickAsync(i % 2 == 0 ? ActionIds.Approve : ActionIds.Deny, id, $"U{i:D3}"))));

        Assert.Single(results, r => r.Outcome is DecisionOutcome.Approved or DecisionOutcome.Denied);
        Assert.Equal(49, results.Count(r => r.Outcome == DecisionOutcome.AlreadyDecided));
        Assert.True(_requests.AppliesRecorded.Count <= 1);
    }

    [Fact]
    public async Task HandleAsync_WrongSecret_Is401AndChangesNothing()
    {
        var id = await PendingRequestAsync();
        var result = await ClickAsync(ActionIds.Approve, id, "UAPPROVER1", secret: "attacker-guess");
        Assert.Equal((DecisionOutcome.Unauthenticated, 401), (result.Outcome, result.StatusCode));
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_slack.Ephemerals);
    }

    [Fact]
    public async Task HandleAsync_ReplayedClickAfterSixMinutes_Is401()
    {
        var id = await PendingRequestAsync();
        var result = await ClickAsync(ActionIds.Approve, id, "UAPPROVER1", timestamp: Now.AddMinutes(-6).ToUnixTimeSeconds());
        Assert.Equal(DecisionOutcome.Unauthenticated, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task HandleAsync_TamperedRequestId_Is401()
    {
        var id = await PendingRequestAsync();
        var body = SlackSigning.ClickBody(ActionIds.Deny, "SG-AAAAAAAA", "UAPPROVER1");
        var ts = Now.ToUnixTimeSeconds();
        var signature = SlackSigning.Sign(body, ts);
        var tampered = body.Replace("SG-AAAAAAAA", id, StringComparison.Ordinal);
        var result = await _rig.Endpoint().HandleInteractionAsync(System.Text.Encoding.UTF8.GetBytes(tampered), ts.ToString(System.Globalization.CultureInfo.InvariantCulture), signature, default);
        Assert.Equal(DecisionOutcome.Unauthenticated, result.Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task HandleAsync_SignedButValueIsNotARequestId_Is400()
    {
        var result = await ClickAsync(ActionIds.Approve, "../../etc", "UAPPROVER1");
        Assert.Equal((DecisionOutcome.BadRequest, 400), (result.Outcome, result.StatusCode));
    }

    [Fact]
    public async Task HandleAsync_UnknownRequest_SaysSo()
    {
        var result = await ClickAsync(ActionIds.Approve, "SG-ZZZZZZZZ", "UAPPROVER1");

        Assert.Equal(DecisionOutcome.UnknownRequest, result.Outcome);
        Assert.Contains("does not exist", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_EnterpriseGridPayloadWithNullTeam_IsAccepted()
    {
        var id = await PendingRequestAsync();
        var body = SlackSigning.ClickBody(ActionIds.Approve, id, "UAPPROVER1", ts: _rig.Threads.Thread(id)!.ApproverMessage!.Ts, team: null);
        var ts = Now.ToUnixTimeSeconds();
        var result = await _rig.Endpoint().HandleInteractionAsync(System.Text.Encoding.UTF8.GetBytes(body), ts.ToString(System.Globalization.CultureInfo.InvariantCulture), SlackSigning.Sign(body, ts), default);
        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
    }

    [Fact]
    public async Task HandleAsync_SlackCannotTellWhoClicked_ChangesNothing()
    {
        // UGROUPIE is no configured user, so the user-group look-up decides; Slack fails it.
        _slack.FailLookups = new SlackApiException("usergroups.users.list", "missing_scope");
        var id = await PendingRequestAsync();

        var result = await ClickAsync(ActionIds.Approve, id, "UGROUPIE");

        Assert.Equal((DecisionOutcome.Unverified, 200), (result.Outcome, result.StatusCode));
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task HandleAsync_RequesterLookupFails_RefusesTheApproval()
    {
        // Fail closed: without knowing whether the clicker made the change, an approval is not recorded.
        _slack.FailLookups = new HttpRequestException("slack down");
        var id = await PendingRequestAsync(TestData.SsoUser("alice@example.com"));

        Assert.Equal(DecisionOutcome.Unverified, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task HandleAsync_SignedClickCarryingAnotherRequestsId_DecidesNothing()
    {
        // The attack: a genuine, signed click on the buttons of request A's message, with the value edited to B's id
        // (or a button copied into another message). The signature holds; the message does not show B.
        var a = await PendingRequestAsync();
        var b = await PendingRequestAsync();
        var messageOfA = _rig.Threads.Thread(a)!.ApproverMessage!;

        var result = await _rig.ClickAsync(ActionIds.Approve, b, "UAPPROVER1", messageOfA.Channel, messageOfA.Ts);

        Assert.Equal((DecisionOutcome.NotOnThisMessage, 200), (result.Outcome, result.StatusCode));
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(b, default))!.Value.Status);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(a, default))!.Value.Status);
        Assert.Empty(_queue.Sent);
        Assert.Contains("does not belong", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_ClickFromAnotherChannel_DecidesNothing()
    {
        var id = await PendingRequestAsync();
        var ts = _rig.Threads.Thread(id)!.ApproverMessage!.Ts;
        Assert.Equal(DecisionOutcome.NotOnThisMessage, (await _rig.ClickAsync(ActionIds.Approve, id, "UAPPROVER1", "CMONITOR", ts)).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task HandleAsync_RequestNeverShownToApprovers_DecidesNothing()
    {
        var id = await PendingRequestAsync(shown: false);
        Assert.Equal(DecisionOutcome.NotOnThisMessage, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task HandleAsync_ApproveAllFromAnotherBatchsMessage_DecidesNothing()
    {
        var a = await PendingRequestAsync(shown: false);
        var b = await PendingRequestAsync(shown: false);
        var c = await PendingRequestAsync(shown: false);
        var d = await PendingRequestAsync(shown: false);
        await _rig.Threads.ShowAsync("CAPPROVERS", "2001.000100", _requests, a, b);
        await _rig.Threads.ShowAsync("CAPPROVERS", "2002.000100", _requests, c, d);

        var result = await _rig.ClickAsync(ActionIds.ApproveAll, c, "UAPPROVER1", "CAPPROVERS", "2001.000100");

        Assert.Equal(DecisionOutcome.NotOnThisMessage, result.Outcome);
        Assert.All(new[] { a, b, c, d }, id => Assert.Equal(RequestStatus.Pending, _requests.All.Single(r => r.Id == id).Status));
    }

    [Theory]
    [InlineData("sgbridge_approve:SG-0000000", DecisionOutcome.Approved)]
    [InlineData("sgbridge_approve", DecisionOutcome.Approved)]
    [InlineData("sgbridge_deny:SG-0000000", DecisionOutcome.Denied)]
    [InlineData("sgbridge_approvex", DecisionOutcome.Ignored)]
    [InlineData("someone_elses_button", DecisionOutcome.Ignored)]
    public async Task HandleAsync_RoutesByActionIdPrefix(string actionId, DecisionOutcome expected)
    {
        var id = await PendingRequestAsync();
        Assert.Equal(expected, (await ClickAsync(actionId, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public void UnresolvedRequester_DefaultsToRequireTwoApprovers() =>
        Assert.Equal(UnresolvedRequesterPolicy.RequireTwoApprovers, new SlackOptions().UnresolvedRequester);

    [Fact]
    public async Task UnresolvedRequester_Allow_OneApproverDecides()
    {
        _options.UnresolvedRequester = UnresolvedRequesterPolicy.Allow;
        var id = await PendingRequestAsync(TestData.IamUser("no-email"));
        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public async Task UnresolvedRequester_RequireTwoApprovers_TheSecondDifferentApproverDecides()
    {
        _options.ApproverUserIds = "UAPPROVER1,UAPPROVER2";
        var id = await PendingRequestAsync(TestData.IamUser("no-email"));

        Assert.Equal(DecisionOutcome.AwaitingSecondApprover, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(DecisionOutcome.AwaitingSecondApprover, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_requests.AppliesRecorded);
        Assert.Contains("second approver", _slack.Ephemerals.First().Text, StringComparison.Ordinal);
        Assert.Contains("different approver", _slack.Ephemerals.Last().Text, StringComparison.Ordinal);

        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER2")).Outcome);
        var stored = (await _requests.GetAsync(id, default))!.Value;
        Assert.Equal((RequestStatus.Approved, "UAPPROVER2"), (stored.Status, stored.DecidedBy));
        Assert.Single(_requests.AppliesRecorded);
    }

    [Fact]
    public async Task UnresolvedRequester_RequireTwoApprovers_ADenyStillTakesOneClick()
    {
        var id = await PendingRequestAsync(TestData.IamUser("no-email"));
        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public async Task UnresolvedRequester_Block_RefusesTheApproval_ButNotADeny()
    {
        _options.UnresolvedRequester = UnresolvedRequesterPolicy.Block;
        var id = await PendingRequestAsync(TestData.IamUser("no-email"));

        Assert.Equal(DecisionOutcome.RequesterUnresolved, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Contains("blocked", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public async Task UnresolvedRequester_EmailUnknownToSlack_CountsAsUnresolved()
    {
        _options.UnresolvedRequester = UnresolvedRequesterPolicy.Block;
        var id = await PendingRequestAsync(TestData.SsoUser("contractor@elsewhere.example"));
        Assert.Equal(DecisionOutcome.RequesterUnresolved, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
    }

    [Fact]
    public async Task RequesterMap_ResolvesAPrincipalWithoutEmail_SoSelfApprovalIsCaught()
    {
        _options.RequesterMap = "arn:aws:iam::*:role/other=U0OTHER, arn:aws:iam::*:role/deploy-*=UAPPROVER1";
        var id = await PendingRequestAsync(TestData.AssumedRole($"arn:aws:iam::{TestData.Account}:role/deploy-pipeline", "build-42"));

        Assert.Equal(DecisionOutcome.SelfApproval, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task RequesterMap_ResolvedToSomeoneElse_OneApproverDecides()
    {
        _options.UnresolvedRequester = UnresolvedRequesterPolicy.Block;
        _options.RequesterMap = "arn:aws:iam::111111111111:user/bob=U0BOB";
        var id = await PendingRequestAsync(TestData.IamUser("bob"));
        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ActionIds.Approve, id, "UAPPROVER1")).Outcome);
    }
}
