using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

public class DecisionServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly InMemoryRequestStore _requests = new();
    private readonly RecordingQueue _queue = new();
    private readonly RecordingSlackClient _slack = new();
    private readonly SlackOptions _options = new()
    {
        BotToken = "xoxb-test",
        SigningSecret = SlackSigning.Secret,
        ApproversChannel = "CAPPROVERS",
        MonitoringChannel = "CMONITOR",
        ApproverUserIds = "UAPPROVER1",
        ApproverUserGroupIds = "SSECURITY",
    };

    private DecisionService Service() => new(
        new SlackRequestVerifier(O.Create(_options), _time),
        new SlackInteractionParser(),
        new ApproverDirectory(_slack, O.Create(_options), _time),
        _requests, new RequestLifecycle(_requests, new QueueRequestNotifier(_queue)), _queue, _slack, _time, NullLogger<DecisionService>.Instance);

    private async Task<string> PendingRequestAsync(Requester? requester = null)
    {
        var change = TestData.Change(ChangeKind.Add, requester: requester) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _requests.AddOrGetAsync(r, default);
        return r.Id;
    }

    private Task<DecisionResult> ClickAsync(string action, string requestId, string user, long? timestamp = null, string? secret = null)
    {
        var body = SlackSigning.ClickBody(action, requestId, user);
        var ts = timestamp ?? Now.ToUnixTimeSeconds();
        return Service().HandleAsync(System.Text.Encoding.UTF8.GetBytes(body), ts.ToString(System.Globalization.CultureInfo.InvariantCulture), SlackSigning.Sign(body, ts, secret ?? SlackSigning.Secret), default);
    }

    [Fact]
    public async Task HandleAsync_ApproverApproves_RecordsAndQueuesOneApply()
    {
        var id = await PendingRequestAsync();

        var result = await ClickAsync(ActionIds.Approve, id, "UAPPROVER1");

        Assert.Equal((DecisionOutcome.Approved, 200), (result.Outcome, result.StatusCode));
        var stored = (await _requests.GetAsync(id, default))!.Value;
        Assert.Equal((RequestStatus.Approved, "UAPPROVER1", Now), (stored.Status, stored.DecidedBy, stored.DecidedAt!.Value));
        Assert.Equal([new ApplyCommand(id)], _queue.On<ApplyCommand>(QueueNames.Applies));
        Assert.Equal([new RequestNotification(id, RequestStatus.Approved)], _queue.On<RequestNotification>(QueueNames.Notifications));
    }

    [Fact]
    public async Task HandleAsync_Deny_RecordsAndQueuesNoApply()
    {
        var id = await PendingRequestAsync();

        Assert.Equal(DecisionOutcome.Denied, (await ClickAsync(ActionIds.Deny, id, "UAPPROVER1")).Outcome);

        Assert.Equal(RequestStatus.Denied, (await _requests.GetAsync(id, default))!.Value.Status);
        Assert.Empty(_queue.On<ApplyCommand>(QueueNames.Applies));
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
        Assert.Contains("already approved by <@UAPPROVER1> at 2026-11-24 12:00:00 UTC", Assert.Single(_slack.Ephemerals).Text, StringComparison.Ordinal);
        Assert.Single(_queue.On<ApplyCommand>(QueueNames.Applies));
    }

    [Fact]
    public async Task HandleAsync_FiftyConcurrentClicks_ExactlyOneWins()
    {
        _options.ApproverUserIds = string.Join(",", Enumerable.Range(0, 50).Select(i => $"U{i:D3}"));
        var id = await PendingRequestAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => ClickAsync(i % 2 == 0 ? ActionIds.Approve : ActionIds.Deny, id, $"U{i:D3}"))));

        Assert.Single(results, r => r.Outcome is DecisionOutcome.Approved or DecisionOutcome.Denied);
        Assert.Equal(49, results.Count(r => r.Outcome == DecisionOutcome.AlreadyDecided));
        Assert.True(_queue.On<ApplyCommand>(QueueNames.Applies).Count <= 1);
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
        var result = await Service().HandleAsync(System.Text.Encoding.UTF8.GetBytes(tampered), ts.ToString(System.Globalization.CultureInfo.InvariantCulture), signature, default);
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
        var body = SlackSigning.ClickBody(ActionIds.Approve, id, "UAPPROVER1", team: null);
        var ts = Now.ToUnixTimeSeconds();
        var result = await Service().HandleAsync(System.Text.Encoding.UTF8.GetBytes(body), ts.ToString(System.Globalization.CultureInfo.InvariantCulture), SlackSigning.Sign(body, ts), default);
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
}
