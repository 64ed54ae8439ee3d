using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>
/// Approve for a duration, through the real endpoint (signature, parser, routing): the duration is recorded; a forged,
/// outdated or mismatched duration button decides nothing; plain Approve is refused when "permanent" is not offered.
/// </summary>
public class AccessActionHandlersTests
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

    public AccessActionHandlersTests()
    {
        _rig = new SlackRig(_options, new FakeTimeProvider(Now));
        _rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
    }

    private async Task<string> PendingAsync(ChangeKind kind = ChangeKind.Add)
    {
        var change = TestData.Change(kind, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        await _rig.Requests.AddOrGetAsync(r, default);
        await _rig.Threads.ShowAtHomeAsync("CAPPROVERS", $"{1000 + _rig.Requests.All.Count}.000100", r);
        return r.Id;
    }

    private async Task<DecisionResult> ClickAsync(string actionId, string requestId, string user = "UAPPROVER1")
    {
        var member = _rig.Threads.Membership(requestId);
        var message = member is null ? null : _rig.Threads.Thread(member.LeadId)?.ApproverMessage;
        var body = SlackSigning.ClickBody(actionId, requestId, user, message?.Channel ?? "CAPPROVERS", message?.Ts ?? "1001.000100");
        return await _rig.PostAsync(body, Now.ToUnixTimeSeconds());
    }

    private async Task<ChangeRequest> RequestAsync(string id) => (await _rig.Requests.GetAsync(id, default))!.Value;

    [Theory]
    [InlineData("1h", 1.0)]
    [InlineData("7d", 168.0)]
    public async Task ApproveFor_AnOfferedDuration_RecordsIt(string label, double hours)
    {
        var id = await PendingAsync();

        var result = await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, label, id), id);

        Assert.Equal(DecisionOutcome.Approved, result.Outcome);
        var r = await RequestAsync(id);
        Assert.Equal((RequestStatus.Approved, TimeSpan.FromHours(hours)), (r.Status, r.ApprovedFor!.Value));
        Assert.Single(_rig.Requests.AppliesRecorded);
    }

    [Fact]
    public async Task ApproveFor_Permanent_RecordsNoDuration()
    {
        var id = await PendingAsync();

        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "permanent", id), id)).Outcome);

        Assert.Null((await RequestAsync(id)).ApprovedFor);
    }

    [Theory]
    [InlineData("3h")]
    [InlineData("100000d")]
    [InlineData("permanent ")]
    public async Task ApproveFor_ADurationNotOffered_IsRefused_NothingChanges(string label)
    {
        _rig.Bridge.Approvals.Durations = "1h,8h";
        var id = await PendingAsync();

        var result = await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, label, id), id);

        Assert.Equal((DecisionOutcome.DurationNotOffered, 200), (result.Outcome, result.StatusCode));
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
        Assert.Empty(_rig.Requests.AppliesRecorded);
        Assert.Contains(_rig.Slack.Ephemerals, e => e.User == "UAPPROVER1" && e.Text.Contains("not offered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApproveFor_ActionIdNamingAnotherRequestThanTheValue_IsABadRequest()
    {
        var id = await PendingAsync();
        var other = await PendingAsync();

        var result = await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", other), id);

        Assert.Equal((DecisionOutcome.BadRequest, 400), (result.Outcome, result.StatusCode));
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(other)).Status);
    }

    [Theory]
    [InlineData("sgbridge_approve_for")]
    [InlineData("sgbridge_approve_for:1h")]
    [InlineData("sgbridge_approve_for::SG-AAAAAAAA")]
    public async Task ApproveFor_MalformedActionId_IsABadRequest(string actionId)
    {
        var id = await PendingAsync();

        Assert.Equal(DecisionOutcome.BadRequest, (await ClickAsync(actionId, id)).Outcome);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
    }

    [Fact]
    public async Task ApproveFor_ClickedTwice_DecidesOnce_KeepsTheFirstDuration()
    {
        var id = await PendingAsync();

        await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", id), id);
        var second = await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "7d", id), id);

        Assert.Equal(DecisionOutcome.AlreadyDecided, second.Outcome);
        Assert.Equal(TimeSpan.FromHours(1), (await RequestAsync(id)).ApprovedFor);
        Assert.Single(_rig.Requests.AppliesRecorded);
    }

    [Fact]
    public async Task ApproveFor_ByANonApprover_IsRefused()
    {
        var id = await PendingAsync();

        Assert.Equal(DecisionOutcome.NotAnApprover, (await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", id), id, "UMALLORY")).Outcome);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
    }

    [Fact]
    public async Task ApproveFor_ARemoval_RecordsNoDuration()
    {
        var id = await PendingAsync(ChangeKind.Remove);

        await ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", id), id);

        Assert.Null((await RequestAsync(id)).ApprovedFor);
    }

    [Fact]
    public async Task PlainApprove_WhenPermanentIsNotOffered_IsRefused()
    {
        _rig.Bridge.Approvals.Durations = "1h,8h";
        var id = await PendingAsync();

        Assert.Equal(DecisionOutcome.DurationNotOffered, (await ClickAsync(ActionIds.For(ActionIds.Approve, id), id)).Outcome);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
    }

    [Fact]
    public async Task PlainApprove_WhenPermanentIsOffered_ApprovesPermanently()
    {
        var id = await PendingAsync();

        Assert.Equal(DecisionOutcome.Approved, (await ClickAsync(ActionIds.For(ActionIds.Approve, id), id)).Outcome);
        Assert.Null((await RequestAsync(id)).ApprovedFor);
    }
}
