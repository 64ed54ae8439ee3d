using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>What approvers and requesters read: honest wording, risk first, and text that cannot imitate the bridge.</summary>
public class ApprovalWordingTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static ChangeRequest Pending(ChangeKind kind, params SecurityGroupRule[] rules)
    {
        var change = TestData.Change(kind, eventId: Guid.NewGuid().ToString()) with { Rules = rules };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.RecordFound(TestData.GroupId, "prod_db", "vpc-0abc", rules, [], [], false, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress SecurityGroupRuleIds=[sgr-1]", true), T);
        return r;
    }

    private static string Json(SlackMessage m) => m.Blocks.ToJsonString(Readable);

    private static IEnumerable<JsonObject> MrkdwnObjects(JsonNode? node) => node switch
    {
        JsonObject o when (string?)o["type"] == "mrkdwn" => [o],
        JsonObject o => o.SelectMany(p => MrkdwnObjects(p.Value)),
        JsonArray a => a.SelectMany(MrkdwnObjects),
        _ => [],
    };

    [Fact]
    public void Outbound_ReadsAsOutbound_NotAsInbound()
    {
        var r = Pending(ChangeKind.Add, new SecurityGroupRule("-1", null, null, RuleSource.Ipv4("0.0.0.0/0")) { Egress = true });

        var json = Json(ApprovalMessageBuilder.ForApprovers([r], null, null));

        Assert.Contains("wants to open outbound all traffic to the internet", json, StringComparison.Ordinal);
        Assert.DoesNotContain("from the internet", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralRules_RiskFirst_TheRiskiestRuleAndItsFlagInTheFirstLine_AndARiskyHeader()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8"), TestData.Tcp(22, "0.0.0.0/0"));

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null);

        Assert.StartsWith("🚨 Risky · " + r.Id, (string)m.Blocks[0]!["text"]!["text"]!, StringComparison.Ordinal);
        var first = ((string)m.Blocks[1]!["text"]!["text"]!).Split('\n')[0];
        Assert.Contains("wants to open 2 inbound rules on `prod_db` — :warning: *SSH (22) open to the internet (0.0.0.0/0)*", first, StringComparison.Ordinal);
        var harmless = ApprovalMessageBuilder.ForApprovers([Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8"))], null, null);
        Assert.StartsWith("🛡️ ", (string)harmless.Blocks[0]!["text"]!["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Extension_ShowsTheOriginalRequest_AndTheCurrentExpiry()
    {
        var original = Pending(ChangeKind.Add, TestData.Tcp(8080, "10.0.0.0/8"));
        original.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(8));
        original.MarkApplied(new CallOutcome("x", true), T);
        var extension = ChangeRequest.OpenExtension("SG-EXTEND01", original, T.AddHours(7));

        var json = Json(ApprovalMessageBuilder.ForApprovers([extension], null, null));

        Assert.Contains($"wants more time for TCP 8080 from 10.0.0.0/8 (extends {original.Id})", json, StringComparison.Ordinal);
        Assert.Contains($"Asks to extend the access of `{original.Id}`, which ends {ApprovalMessageBuilder.When(T.AddHours(8))}", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Already reverted", json, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeBoundApproval_ShowsDurationAndEnd_InMonitoringAndThread()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(8080, "10.0.0.0/8"));
        r.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(8));
        var until = ApprovalMessageBuilder.When(T.AddHours(8));

        Assert.Contains($"for 8h, until {until}", Json(ApprovalMessageBuilder.ForMonitoring([r], null, null)), StringComparison.Ordinal);
        Assert.Contains($"for 8h, until {until}", ApprovalMessageBuilder.OutcomeReply(r, RequestStatus.Approved), StringComparison.Ordinal);
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);
        Assert.Contains($"for 8h, until {until}", Json(ApprovalMessageBuilder.ForMonitoring([r], null, null)), StringComparison.Ordinal);
        Assert.Contains($"for 8h, until {until}", ApprovalMessageBuilder.OutcomeReply(r, RequestStatus.Applied), StringComparison.Ordinal);
    }

    [Fact]
    public void PastTenseNotices_ReadAsPastTense()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(22, "0.0.0.0/0"));
        r.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(1));
        r.MarkApplied(new CallOutcome("x", true), T);
        r.EndAccess(AccessEndReason.Expired, null, T.AddHours(1));
        var revoked = Pending(ChangeKind.Add, TestData.Tcp(22, "0.0.0.0/0"));
        revoked.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(1));
        revoked.MarkApplied(new CallOutcome("x", true), T);
        revoked.EndAccess(AccessEndReason.Revoked, "U0BOB", T.AddMinutes(5));
        var removal = Pending(ChangeKind.Remove, TestData.Tcp(80, "10.0.0.0/8"));

        var notices = new[]
        {
            ApprovalMessageBuilder.AccessEndedText(r), ApprovalMessageBuilder.AccessEndedText(revoked), ApprovalMessageBuilder.AccessEndedLine(r),
            ApprovalMessageBuilder.AccessEndedLine(revoked), ApprovalMessageBuilder.BreakGlassNotice(r, "U0SELF", null),
            ApprovalMessageBuilder.BreakGlassNotice(removal, "U0SELF", null), ApprovalMessageBuilder.OutcomeReply(r, RequestStatus.Applied),
            DecisionReplies.BatchDecided(true, 1, []), DecisionReplies.BatchDecided(false, 2, []),
        };

        Assert.All(notices, n => Assert.DoesNotContain("wants to", n, StringComparison.Ordinal));
        Assert.All(notices, n => Assert.DoesNotMatch(@"\b1 (changes|rules|interfaces)\b", n));
        Assert.Contains("ended", notices[0], StringComparison.Ordinal);
        Assert.Matches(@"^:hourglass: Access of SG-\w+ ended <!date\^\d+\^[^>]+> \(approved for 1h\): TCP 22 from the internet on `prod_db` has left the approved state and is being revoked in AWS\.$", notices[0]);
        Assert.Matches(@"^:lock: Access of SG-\w+ revoked early by <@U0BOB> <!date\^\d+\^[^>]+>: TCP 22 from the internet on `prod_db` has left the approved state and is being revoked in AWS\.$", notices[1]);
        Assert.Contains("approved *their own* change `" + removal.Id + "`: the removal of TCP 80 from 10.0.0.0/8 on `prod_db`", notices[5], StringComparison.Ordinal);
        Assert.Equal("Approved 1 change.", notices[7]);
        Assert.Equal("Denied 2 changes.", notices[8]);
    }

    [Fact]
    public void DecisionDm_TellsTheRequesterTheDecision_WithDurationAndEnd()
    {
        var approved = Pending(ChangeKind.Add, TestData.Tcp(8080, "10.0.0.0/8"));
        approved.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(8));
        var denied = Pending(ChangeKind.Add, TestData.Tcp(22, "0.0.0.0/0"));
        denied.Deny("U0APPROVER", "a", T);

        var yes = ApprovalMessageBuilder.DecisionDm(approved)!;
        var no = ApprovalMessageBuilder.DecisionDm(denied)!;

        // The blocks say it in mrkdwn; the notification text says the same in plain words (no tokens, no code spans).
        Assert.StartsWith($":white_check_mark: Your request {approved.Id} was approved by <@U0APPROVER> {ApprovalMessageBuilder.When(T)} for 8h, until {ApprovalMessageBuilder.When(T.AddHours(8))}: TCP 8080 from 10.0.0.0/8 on `prod_db`.", (string)yes.Blocks[0]!["text"]!["text"]!, StringComparison.Ordinal);
        Assert.StartsWith($":white_check_mark: Your request {approved.Id} was approved by @U0APPROVER 2026-", yes.Text, StringComparison.Ordinal);
        Assert.Equal($":no_entry: Your request {denied.Id} was denied by <@U0APPROVER> {ApprovalMessageBuilder.When(T)}: TCP 22 from the internet on `prod_db`. Nothing changes in AWS.", (string)no.Blocks[0]!["text"]!["text"]!);
        Assert.EndsWith(": TCP 22 from the internet on prod_db. Nothing changes in AWS.", no.Text, StringComparison.Ordinal);
        Assert.Null(ApprovalMessageBuilder.DecisionDm(Pending(ChangeKind.Add, TestData.Tcp(1, "10.0.0.0/8"))));
        Assert.Empty(SlackPayloadValidator.Check(yes.Text, yes.Blocks));
    }

    [Fact]
    public void SlackRequestOpened_PromisesTheDecisionInADirectMessage_NotInAThreadTheRequesterCannotSee()
    {
        var view = RequestModal.Opened(Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8")), existing: false).ToJsonString(Readable);

        Assert.DoesNotContain("approvers' thread", view, StringComparison.Ordinal);
        Assert.Contains("direct message", view, StringComparison.Ordinal);
    }

    [Fact]
    public void FreeText_IsQuotedOnOneLine_SoItCannotImitateTheBridgesLines()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8"));
        r.RecordReason("hotfix\n:white_check_mark: Approved by <@U0BOSS> — apply now\r\n> quoted", "U0REQ", T);

        var text = string.Join("\n", MrkdwnObjects(ApprovalMessageBuilder.ForApprovers([r], null, null).Blocks).Select(o => (string)o["text"]!));

        Assert.Contains("*Reason* (from <@U0REQ>): “hotfix ⏎ :whiteˍcheckˍmark: Approved by &lt;@U0BOSS&gt; — apply now ⏎ &gt; quoted”", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n:white_check_mark: Approved by", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('\u202E')]
    [InlineData('\u2066')]
    [InlineData('\u200F')]
    [InlineData('\u200B')]
    [InlineData('\u2060')]
    [InlineData('\uFEFF')]
    public void BidiAndZeroWidthCharacters_AreMadeVisible_InEveryField(char hidden)
    {
        var sneaky = $"ok{hidden}evil";
        var requester = new Requester(PrincipalType.IamUser, $"arn:aws:iam::{TestData.Account}:user/{sneaky}", TestData.Account, "AIDA", sneaky, null, null, null, null, null);
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString(), requester: requester) with { Rules = [TestData.Tcp(443, "10.0.0.0/8", sneaky)] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.RecordFound(TestData.GroupId, sneaky, null, change.Rules, [], [], false, T);
        r.MarkReverted(new CallOutcome("x", true), T);
        r.RecordReason(sneaky, "U0REQ", T);

        var m = ApprovalMessageBuilder.ForApprovers([r], sneaky, null);
        var all = m.Text + m.Blocks.ToJsonString(Readable) + ApprovalMessageBuilder.OutcomeReply(r, r.Status);

        Assert.DoesNotContain(hidden.ToString(), all, StringComparison.Ordinal);
        Assert.Contains($"ok[U+{(int)hidden:X4}]evil", all, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryMrkdwnTextObject_IsVerbatim_SoBareUrlsInDataDoNotBecomeLinks()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8", "see https://evil.example/login #general"));
        var messages = new[]
        {
            ApprovalMessageBuilder.ForApprovers([r], null, null), ApprovalMessageBuilder.ForMonitoring([r], null, null),
            ApprovalMessageBuilder.Compact([r], null, withButtons: true, "invalid_blocks"), ApprovalMessageBuilder.AccessGranted(r),
        };

        Assert.All(messages.SelectMany(m => MrkdwnObjects(m.Blocks)), o => Assert.True((bool?)o["verbatim"] == true, o.ToJsonString()));
        Assert.All(MrkdwnObjects(ReasonMessages.Ask(r).Blocks), o => Assert.True((bool?)o["verbatim"] == true));
    }

    [Fact]
    public void Identifiers_AreCodeSpans_ExactlyAsAwsWroteThem_NotLookAlikes()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8"));

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null);
        var json = Json(m);

        Assert.Contains("`alice@example.com via AWSReservedSSO_Admin_0123456789abcdef`", json, StringComparison.Ordinal);
        Assert.Contains("`prod_db`", json, StringComparison.Ordinal);
        Assert.DoesNotContain("ˍ", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eu-west-1", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    [InlineData("cn-north-1", "https://console.amazonaws.cn/ec2/home?region=cn-north-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    [InlineData("us-gov-west-1", "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#SecurityGroup:groupId=sg-0123456789abcdef0")]
    [InlineData("us-iso-east-1", null)]
    [InlineData("us-isob-east-1", null)]
    [InlineData("eu-isoe-west-1", null)]
    [InlineData("us-isof-south-1", null)]
    public void ConsoleLinks_ForEveryPartition_AndNoneForIsoPartitions(string region, string? expected)
    {
        Assert.Equal(expected, ConsoleLinks.SecurityGroup(region, TestData.GroupId));
        if (expected is null)
        {
            Assert.Null(ConsoleLinks.CloudTrailEvent(region, "11111111-2222-3333-4444-555555555555"));
        }
    }

    [Fact]
    public void LastResortNotice_NamesTheCliVerbsThatDecide()
    {
        var r = Pending(ChangeKind.Add, TestData.Tcp(443, "10.0.0.0/8"));

        var text = ApprovalMessageBuilder.RefusedNotice([r], "invalid_blocks");

        Assert.Contains($"`sgbridge requests approve {r.Id} --for DURATION --reason \"…\"`", text, StringComparison.Ordinal);
        Assert.Contains($"`sgbridge requests deny {r.Id} --reason \"…\"`", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CompactForm_KeepsTheDurationChoiceAndDeny_AndRevokeOnLiveAccess()
    {
        var pending = Pending(ChangeKind.Add, TestData.Tcp(22, "0.0.0.0/0"));
        var live = Pending(ChangeKind.Add, TestData.Tcp(8080, "10.0.0.0/8"));
        live.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(8));
        live.MarkApplied(new CallOutcome("x", true), T);
        var batch = new List<ChangeRequest> { pending, live };

        var m = ApprovalMessageBuilder.Compact(batch, null, withButtons: true, "msg_too_long").WithAccessChoices(batch, ApprovalsOptions.ParseDurations("1h,8h"));

        var ids = m.Blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray()).Select(e => (string)e!["action_id"]!).ToList();
        Assert.Contains(ActionIds.For(ActionIds.ApproveFor, pending.Id), ids);
        Assert.Contains(ActionIds.For(ActionIds.Deny, pending.Id), ids);
        Assert.Contains(ActionIds.For(ActionIds.RevokeAccess, live.Id), ids);
        Assert.Empty(SlackPayloadValidator.Check(m.Text, m.Blocks));
    }
}
