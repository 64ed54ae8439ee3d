using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Storage;

namespace SgBridge.Tests.Domain;

public class SlackRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void OpenFromSlack_IsPendingWithNothingReverted_AndFollowsTheUsualTransitions()
    {
        var r = SlackRequestStorageTests.Sample("SG-SLACK002");
        Assert.Equal((RequestStatus.Pending, ChangeKind.Add, ChangeRequest.SlackEventName, "slack-view:V1"), (r.Status, r.Kind, r.EventName, r.EventId));
        Assert.Null(r.Revert);
        Assert.Null(Assert.Single(r.Rules).RuleId);
        r.Approve("UAPPROVER", "approver", Now);
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), Now);
        Assert.Equal(RequestStatus.Applied, r.Status);
    }

    [Fact]
    public void OpenFromSlack_RefusesARequesterWhoIsNotTheSubmitter_AndANonPositiveDuration()
    {
        var sample = SlackRequestStorageTests.Sample("SG-SLACK003");
        var other = sample.Requester with { SlackUserId = "UOTHER" };
        Assert.Throws<ArgumentException>(() => ChangeRequest.OpenFromSlack("SG-X", TestData.Account, TestData.Region, TestData.GroupId, null, null, sample.Rules[0], other, sample.Slack!, Now));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChangeRequest.OpenFromSlack("SG-X", TestData.Account, TestData.Region, TestData.GroupId, null, null, sample.Rules[0],
            sample.Requester, sample.Slack! with { RequestedFor = TimeSpan.Zero }, Now));
    }

    [Fact]
    public void SlackRequester_ResolvesToItsSlackUser_AndReadsAsTheUser()
    {
        var requester = SlackRequestStorageTests.Sample("SG-SLACK004").Requester;
        Assert.Equal("alice", requester.DisplayName);
        Assert.Null(requester.PolicyArn);
        Assert.False(requester.IsServiceLinkedRole);
    }
}
