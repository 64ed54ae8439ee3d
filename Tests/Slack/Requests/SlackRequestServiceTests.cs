using SgBridge.Shared.Slack;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack.Requests;

public class SlackRequestServiceTests
{
    private readonly RequestRig _rig = new();

    [Fact]
    public async Task Submit_AValidForm_OpensOnePendingRequest_AndAsksTheApprovers()
    {
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VIEW1", "UREQ1"), default);

        Assert.Equal("update", (string?)answer.Body!["response_action"]);
        var request = Assert.Single(_rig.Bridge.Requests.All);
        Assert.Equal(RequestId.For(ChangeRequest.SlackEventId("VIEW1")), request.Id);
        Assert.Equal((RequestStatus.Pending, ChangeKind.Add, TestData.GroupId, "web", "vpc-0abc"), (request.Status, request.Kind, request.GroupId, request.GroupName, request.VpcId));
        Assert.Null(request.Revert);
        Assert.Equal((PrincipalType.SlackUser, "UREQ1"), (request.Requester.Type, request.Requester.SlackUserId));
        Assert.Equal(("UREQ1", "VIEW1", TimeSpan.FromHours(8)), (request.Slack!.UserId, request.Slack.ViewId, request.Slack.RequestedFor));
        Assert.Equal([TestData.Tcp(443, "10.0.0.0/8", "build agents")], request.Rules);
        Assert.Equal([(request.Id, RequestStatus.Pending)], _rig.Bridge.Notifier.Seen);
        Assert.Empty(_rig.Bridge.Ec2.Writes); // nothing changes in AWS before approval
        Assert.Contains(request.Id, answer.Body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_Duplicated_OpensOneRequest_AndTellsTheApproversOnce()
    {
        var service = _rig.Service();
        var submission = RequestRig.Submission(RequestRig.ValidForm(), "VIEW2");
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => service.SubmitAsync(submission, default)));

        Assert.Single(_rig.Bridge.Requests.All);
        Assert.Single(_rig.Bridge.Notifier.Seen);
        Assert.Single(answers, a => a.Detail.StartsWith("opened", StringComparison.Ordinal));
        Assert.All(answers, a => Assert.Equal("update", (string?)a.Body!["response_action"]));
    }

    [Theory]
    [InlineData("443", "10.0.0.0/8", "8h", RequestStatus.Approved, "dev-private-non-admin", 8.0)] // asked 8h, the rule allows 24h: the shorter wins
    [InlineData("443", "10.0.0.0/8", "7d", RequestStatus.Approved, "dev-private-non-admin", 24.0)] // asked 7 days: the rule's 24h caps it
    [InlineData("22", "0.0.0.0/0", "8h", RequestStatus.Denied, "deny-internet-admin-and-db", null)]
    [InlineData("443", "0.0.0.0/0", "8h", RequestStatus.Pending, "everything-else", null)]
    public async Task Submit_WithAPolicyFile_ThePolicyDecidesInTheOneInsert_AndAnApprovalIsQueuedForApply(
        string ports, string source, string duration, RequestStatus expected, string rule, double? hours)
    {
        var file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.Copy(RepoRoot.Sample("policy.yaml"), file);
        try
        {
            _rig.Bridge.Policy.RulesFile = file;
            _rig.Bridge.Policy.AccountAliases = TestData.Account + "=dev";
            var form = RequestRig.ValidForm();
            (form[RequestBlocks.Ports], form[RequestBlocks.Source], form[RequestBlocks.Duration]) = (ports, source, duration);

            var service = _rig.Service();
            await service.SubmitAsync(RequestRig.Submission(form, "VPOL-" + ports + source.Length + duration), default);

            var request = Assert.Single(_rig.Bridge.Requests.All);
            Assert.Equal(expected, request.Status);
            Assert.Equal(rule, request.PolicyDecision!.Rule);
            Assert.Equal(hours is { } h ? TimeSpan.FromHours(h) : null, request.ApprovedFor);
            Assert.Equal([(request.Id, expected)], _rig.Bridge.Notifier.Seen); // Slack told once, with the outcome
            // An approval's apply is an effect on the row, written by the same insert (and nudged once).
            Assert.Equal(expected == RequestStatus.Approved ? 1 : 0, request.Effects.Count(e => e.Kind == EffectKind.Apply));
            Assert.Single(_rig.Bridge.Queue.Sent, m => m.Queue == SgBridge.Shared.Storage.QueueNames.Effects);
            Assert.Empty(_rig.Bridge.Ec2.Writes); // the apply does the AWS work, not the submission

            // The same submission again (Slack retried it): nothing decided twice, nothing written or nudged again.
            await service.SubmitAsync(RequestRig.Submission(form, "VPOL-" + ports + source.Length + duration), default);
            Assert.Single(_rig.Bridge.Notifier.Seen);
            Assert.Single(_rig.Bridge.Queue.Sent, m => m.Queue == SgBridge.Shared.Storage.QueueNames.Effects);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("dev", RequestStatus.Approved, "tagged-dev")]
    [InlineData("prod", RequestStatus.Pending, "everything-else")]
    [InlineData(null, RequestStatus.Pending, "everything-else")]
    public async Task Submit_WithATagRule_DecidesOnTheTagsOfTheGroupLookUp_WithoutAnotherEc2Call(string? env, RequestStatus expected, string rule)
    {
        var file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "rules:\n  - name: tagged-dev\n    when:\n      groupTags: { env: dev }\n    outcome: approve\n    duration: 8h\n    acknowledge: dev groups take anything\n  - name: everything-else\n    outcome: ask\n");
        try
        {
            _rig.Bridge.Policy.RulesFile = file;
            if (env is not null)
            {
                _rig.Bridge.Ec2.Tags["env"] = env;
            }

            await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VTAG-" + env), default);

            var request = Assert.Single(_rig.Bridge.Requests.All);
            Assert.Equal(expected, request.Status);
            Assert.Equal(rule, request.PolicyDecision!.Rule);
            Assert.DoesNotContain("tags", request.PolicyDecision.Reason ?? "", StringComparison.OrdinalIgnoreCase); // known, not "could not be read"
            Assert.DoesNotContain("describe-tags", _rig.Bridge.Ec2.Calls); // the look-up's answer carried them
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Submit_TwoViews_AreTwoRequests()
    {
        await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VA"), default);
        await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VB"), default);
        Assert.Equal(2, _rig.Bridge.Requests.All.Count);
    }

    [Fact]
    public async Task Submit_InvalidFields_AnswersErrorsByBlock_AndOpensNothing()
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Source] = "10.0.0.1/8";
        form[RequestBlocks.Ports] = "70000";
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(form), default);
        Assert.Equal("errors", (string?)answer.Body!["response_action"]);
        Assert.Equal([RequestBlocks.Ports, RequestBlocks.Source], answer.Body["errors"]!.AsObject().Select(e => e.Key).Order());
        Assert.Empty(_rig.Bridge.Requests.All);
        Assert.Empty(_rig.Bridge.Ec2.Calls); // AWS is not asked about a form that is wrong anyway
    }

    [Fact]
    public async Task Submit_UnknownGroup_IsAnErrorOnTheGroup()
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Group] = "sg-0fffffffffffffff0";
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(form), default);
        Assert.Contains("no security group sg-0fffffffffffffff0", (string?)answer.Body!["errors"]![RequestBlocks.Group], StringComparison.Ordinal);
        Assert.Empty(_rig.Bridge.Requests.All);
    }

    [Fact]
    public async Task Submit_GroupByName_ResolvesItsId()
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Group] = "web";
        await _rig.Service().SubmitAsync(RequestRig.Submission(form), default);
        Assert.Equal(TestData.GroupId, Assert.Single(_rig.Bridge.Requests.All).GroupId);
    }

    [Fact]
    public async Task Submit_RoleNotDeployed_IsAnErrorOnTheGroup()
    {
        _rig.Aws = new FakeSecurityGroupClient { Deny = new RoleNotAssumableException(TestData.Account, "arn:aws:iam::111111111111:role/SgBridgeExecutionRole", new InvalidOperationException("AccessDenied")) };
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm()), default);
        Assert.Contains("role is not deployed", (string?)answer.Body!["errors"]![RequestBlocks.Group], StringComparison.Ordinal);
        Assert.Empty(_rig.Bridge.Requests.All);
    }

    [Fact]
    public async Task Submit_AwsFails_IsAnErrorAskingToRetry()
    {
        _rig.Aws = new FakeSecurityGroupClient { Deny = new HttpRequestException("connection reset") };
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(RequestRig.ValidForm()), default);
        Assert.Contains("Submit again", (string?)answer.Body!["errors"]![RequestBlocks.Group], StringComparison.Ordinal);
        Assert.Empty(_rig.Bridge.Requests.All);
    }

    [Fact]
    public async Task Submit_AwsSlowerThanTheTimeout_AsksToRetry_ThenTheRetryOpensTheRequest()
    {
        var slow = new SlowFactory(_rig.Bridge.Ec2);
        _rig.Aws = slow;
        _rig.Options.GroupCheckTimeout = TimeSpan.FromSeconds(1);
        var service = _rig.Service();
        var first = service.SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VSLOW"), default);
        await slow.Started.Task;
        for (var i = 0; i < 500 && !first.IsCompleted; i++)
        {
            // The timeout runs on the fake clock: move it on until the submission gives up waiting.
            _rig.Bridge.Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(5);
        }
        var answer = await first;
        Assert.Contains("did not answer in time", (string?)answer.Body!["errors"]![RequestBlocks.Group], StringComparison.Ordinal);
        Assert.Empty(_rig.Bridge.Requests.All);

        slow.Release.SetResult();          // AWS answers late; the retry is quick
        var retry = await service.SubmitAsync(RequestRig.Submission(RequestRig.ValidForm(), "VSLOW"), default);
        Assert.Equal("update", (string?)retry.Body!["response_action"]);
        Assert.Single(_rig.Bridge.Requests.All);
    }

    [Fact]
    public async Task Submit_NotAllowedAccount_NeverReachesAws()
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Account] = "999999999999";
        var answer = await _rig.Service().SubmitAsync(RequestRig.Submission(form), default);
        Assert.Contains("not one this bridge polices", (string?)answer.Body!["errors"]![RequestBlocks.Account], StringComparison.Ordinal);
        Assert.Empty(_rig.Bridge.Ec2.Calls);
    }

    [Fact]
    public async Task Interactions_RouteShortcutAndSubmission_AndLeaveClicksAlone()
    {
        Assert.Equal("modal opened", (await _rig.InteractionAsync(RequestPayloads.Shortcut(trigger: "7.7.7"))).Detail);
        Assert.Equal("7.7.7", Assert.Single(_rig.Views.Opened).TriggerId);
        Assert.Equal("not SgBridge's shortcut", (await _rig.InteractionAsync(RequestPayloads.Shortcut("other_app"))).Detail);
        Assert.Single(_rig.Views.Opened);
        var opened = (string)_rig.Views.Opened.Single().View["private_metadata"]!; // the view the shortcut opened, sealed for UREQ1
        var submitted = await _rig.InteractionAsync(RequestPayloads.Submission(RequestRig.ValidForm(), metadata: opened));
        Assert.StartsWith("opened", submitted.Detail, StringComparison.Ordinal);
        // A click on the same URL goes to the click handlers (here: a request that does not exist), never to the requests'.
        Assert.Equal(DecisionOutcome.UnknownRequest, (await _rig.InteractionAsync(SlackSigning.ClickBody("sgbridge_approve", "SG-ABCDEFGH", "UA"))).Outcome);
        Assert.Single(_rig.Views.Opened);
    }

    [Fact]
    public async Task Interactions_ASubmissionWithoutViewId_Is400()
    {
        var payload = RequestPayloads.SubmissionPayload(RequestRig.ValidForm());
        payload["view"]!.AsObject().Remove("id");
        var answer = await _rig.InteractionAsync(RequestPayloads.Form(payload));
        Assert.Equal((400, "The view_submission has no view.id."), (answer.StatusCode, answer.Detail));
    }

    /// <summary>AWS that answers only when released (the look-up ignores cancellation, like a slow STS call in flight).</summary>
    private sealed class SlowFactory(FakeSecurityGroupClient inner) : ISecurityGroupClientFactory
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Release.Task;
            return inner;
        }
    }
}
