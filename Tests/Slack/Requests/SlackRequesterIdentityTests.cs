using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Storage;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack.Requests;

public class SlackRequesterIdentityTests
{
    [Fact]
    public async Task Resolve_ASlackRequester_IsThatUser_WithoutAskingSlack()
    {
        var slack = new RecordingSlackClient { FailLookups = new SlackApiException("users.lookupByEmail", "ratelimited") };
        var options = new SlackOptions { BotToken = "t", SigningSecret = "s", ApproversChannel = "C1", MonitoringChannel = "C2", ApproverUserIds = "UA" };
        var directory = new ApproverDirectory(slack, O.Create(options), new FakeTimeProvider());

        var identity = await directory.ResolveRequesterAsync(SlackRequestStorageTests.Sample("SG-SLACKID1").Requester, default);

        // The Slack user who asked is the requester; Slack is not asked (its failure cannot matter).
        Assert.Equal(("U1", "Slack request", true), (identity.SlackUserId, identity.How, identity.IsResolved));
    }

    [Fact]
    public async Task Decide_TheRequesterApprovingTheirOwnSlackRequest_IsRefused()
    {
        var rig = new SlackRig(new SlackOptions { BotToken = "t", SigningSecret = SlackSigning.Secret, ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMON", ApproverUserIds = "U1,UA" },
            new FakeTimeProvider(DateTimeOffset.UtcNow));
        var request = SlackRequestStorageTests.Sample(Shared.Domain.RequestId.For("slack-view:V1")); // a well-formed id: buttons carry only those
        await rig.Requests.AddOrGetAsync(request, default);
        await rig.NotifyAsync(new RequestNotification(request.Id, request.Status));

        var own = await rig.ClickAsync(ActionIds.Approve, request.Id, "U1");
        Assert.Equal(DecisionOutcome.SelfApproval, own.Outcome);
        var other = await rig.ClickAsync(ActionIds.Approve, request.Id, "UA");
        Assert.Equal(DecisionOutcome.Approved, other.Outcome);
    }
}
