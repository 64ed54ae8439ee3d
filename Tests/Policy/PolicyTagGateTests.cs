using SgBridge.Shared.Aws;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>
/// Tag conditions in the event worker (over fakes): the tags are read once, only when the evaluation reaches a rule
/// that needs them, and a read that fails, is throttled or hangs never approves and never denies: the change is asked,
/// with "the group's tags could not be read" and the reason on the request, and counted as a failure.
/// </summary>
public sealed class PolicyTagGateTests : IDisposable
{
    private const string TagPolicy = """
        rules:
          - name: prod-internet
            when:
              source: { equals: [0.0.0.0/0] }
              groupTags: { env: prod }
            outcome: deny
          - name: pay-dev
            when:
              source: { within: [10.0.0.0/8] }
              groupTags: { env: dev, team: "pay*" }
            outcome: approve
            duration: 8h
          - name: any-https
            when: { ports: [443] }
            outcome: approve
          - name: rest
            outcome: ask
        """;

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-tags-{Guid.NewGuid():N}.yaml");
    private readonly Bridge _bridge = new();
    private FakeSecurityGroupClient Ec2 => _bridge.Ec2;

    public PolicyTagGateTests()
    {
        File.WriteAllText(_file, TagPolicy);
        _bridge.Policy.RulesFile = _file;
        _bridge.Policy.AccountAliases = TestData.Account + "=dev";
    }

    public void Dispose() => File.Delete(_file);

    private async Task<ChangeRequest> RevertAsync(int port, string cidr)
    {
        Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "approved"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(port, cidr, "by hand"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString(), TestData.SsoUser()) with { Rules = [added] };
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));
        return _bridge.Request(change);
    }

    private int TagReads => Ec2.Calls.Count(c => c == "describe-tags");

    [Fact]
    public async Task TaggedGroup_RuleApproves_AfterOneTagRead()
    {
        Ec2.Tags["env"] = "dev";
        Ec2.Tags["team"] = "payments";

        var request = await RevertAsync(8080, "10.20.0.0/16");

        Assert.Equal(RequestStatus.Approved, request.Status);
        Assert.Equal(("approve", "pay-dev", (int?)7), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule, request.PolicyDecision.Line));
        Assert.Equal(TimeSpan.FromHours(8), request.ApprovedFor);
        Assert.Equal(1, TagReads);
        // The event's EC2 calls (after onboarding): the reconcile's describe and write, then the one tag read before
        // the request's write: 3 calls where a policy without a reached tag rule makes 2 (docs/performance.md).
        Assert.Equal(["describe-rules", "ec2:RevokeSecurityGroupIngress", "describe-tags"], Ec2.Calls.Skip(Ec2.Calls.Count - 3));
    }

    [Fact]
    public async Task UntaggedGroup_SameChange_IsAsked()
    {
        var request = await RevertAsync(8080, "10.20.0.0/16");

        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(("ask", "rest"), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule));
        Assert.Equal(1, TagReads);
    }

    [Fact]
    public async Task ProdTaggedGroup_InternetRule_IsDenied()
    {
        Ec2.Tags["env"] = "prod";
        var request = await RevertAsync(443, "0.0.0.0/0");
        Assert.Equal(RequestStatus.Denied, request.Status);
        Assert.Equal("prod-internet", request.PolicyDecision!.Rule);
        Assert.DoesNotContain(Ec2.Rules, r => r.Source.Value == "0.0.0.0/0");
    }

    [Fact]
    public async Task NoTagRuleReached_NoTagRead()
    {
        // 192.168/16 on 8080: neither tag rule's source holds, so neither tag condition is consulted.
        var request = await RevertAsync(8080, "192.168.0.0/16");
        Assert.Equal(("ask", "rest"), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule));
        Assert.Equal(0, TagReads);
    }

    [Fact]
    public async Task PolicyWithoutTagConditions_NoTagRead()
    {
        File.Copy(RepoRoot.Sample("policy.yaml"), _file, overwrite: true);
        var request = await RevertAsync(8080, "10.20.0.0/16");
        Assert.Equal(RequestStatus.Approved, request.Status);
        Assert.Equal(0, TagReads);
        // The EC2 calls of the event: the reconcile's describe and its one write (the onboarding's describe before it).
        Assert.Equal(["describe-rules", "ec2:RevokeSecurityGroupIngress"], Ec2.Calls.Skip(Ec2.Calls.Count - 2));
    }

    public static TheoryData<Exception, string> Failures() => new()
    {
        { new AwsServiceException("EC2", "RequestLimitExceeded", 503, "Rate exceeded", null), "EC2 throttled the read (RequestLimitExceeded)" },
        { new AwsServiceException("EC2", "UnauthorizedOperation", 403, "denied", null), "the bridge's role may not call ec2:DescribeSecurityGroups (UnauthorizedOperation)" },
        { new AwsServiceException("EC2", "InternalError", 500, "boom", null), "EC2 error InternalError" },
        { new HttpRequestException("connection refused"), "EC2 could not be reached" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task TagReadFails_ApproveRuleDoesNotMatch_Asked_WithTheReason_AndCounted(Exception error, string reason)
    {
        Ec2.Tags["env"] = "dev";
        Ec2.Tags["team"] = "payments";
        Ec2.DescribeTagsThrows = error;
        var failures = CountFailures("policy_tags", out var listener);
        using (listener)
        {
            var request = await RevertAsync(8080, "10.20.0.0/16");

            Assert.Equal(RequestStatus.Pending, request.Status);
            Assert.Equal(("ask", "pay-dev"), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule));
            Assert.Contains("the group's tags could not be read: " + reason, request.PolicyDecision.Reason, StringComparison.Ordinal);
            Assert.Null(request.DecidedBy);
            Assert.Equal(1, failures());
            // The approvers' message says why on its policy line.
            var line = SgBridge.Shared.Slack.ApprovalMessageBuilder.PolicyText(request)!;
            Assert.Contains("asks an approver", line, StringComparison.Ordinal);
            Assert.Contains("tags could not be read", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TagReadFails_DenyRule_NeitherDeniesNorLetsALaterRuleApprove()
    {
        // 0.0.0.0/0 on 443: 'prod-internet' would deny on a prod group; 'any-https' would approve. Unknown tags: ask.
        Ec2.DescribeTagsThrows = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        var request = await RevertAsync(443, "0.0.0.0/0");

        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(("ask", "prod-internet"), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule));
        Assert.Contains("would say deny", request.PolicyDecision.Reason, StringComparison.Ordinal);
        Assert.Contains("tags could not be read", request.PolicyDecision.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Ec2.Rules, r => r.Source.Value == "0.0.0.0/0");
    }

    [Fact]
    public async Task TagReadHangs_IgnoringItsToken_GivenUpAtTheBudget_Asked()
    {
        _bridge.TagRead.Budget = TimeSpan.FromMilliseconds(200);
        Ec2.Tags["env"] = "dev";
        Ec2.Tags["team"] = "payments";
        var never = new TaskCompletionSource();
        Ec2.DescribeTagsDelay = _ => never.Task; // a hung connection that does not honour cancellation
        var clock = Stopwatch.StartNew();

        var request = await RevertAsync(8080, "10.20.0.0/16");

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(10));
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Contains("tags could not be read: no answer from EC2 within 0.2 s", request.PolicyDecision!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupGoneWhenTagsRead_Asked()
    {
        Ec2.DescribeTagsDelay = _ =>
        {
            Ec2.GroupExists = false;
            return Task.CompletedTask;
        };
        var request = await RevertAsync(8080, "10.20.0.0/16");
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Contains("tags could not be read: EC2 did not find the group", request.PolicyDecision!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoPolicyFile_NoTagRead()
    {
        _bridge.Policy.RulesFile = "";
        Ec2.Tags["env"] = "dev";
        var request = await RevertAsync(8080, "10.20.0.0/16");
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Null(request.PolicyDecision);
        Assert.Equal(0, TagReads);
    }

    [Fact]
    public async Task Redelivery_DecidedOnce_NoSecondDecision()
    {
        Ec2.Tags["env"] = "dev";
        Ec2.Tags["team"] = "pay";
        Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "approved"));
        await _bridge.OnboardAsync();
        var added = Ec2.AddExisting(TestData.Tcp(8080, "10.20.0.0/16", "by hand"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString(), TestData.SsoUser()) with { Rules = [added] };
        Assert.Equal(ProcessOutcome.Reverted, await _bridge.Processor().ProcessAsync(change, 1, default));
        // The tags change before the redelivery: the stored decision stands (decided once).
        Ec2.Tags["env"] = "prod";
        Assert.Equal(ProcessOutcome.AlreadyProcessed, await _bridge.Processor().ProcessAsync(change, 2, default));
        Assert.Equal(("approve", "pay-dev"), (_bridge.Request(change).PolicyDecision!.Outcome, _bridge.Request(change).PolicyDecision!.Rule));
    }

    private Func<long> CountFailures(string kind, out MeterListener listener)
    {
        long count = 0;
        var meter = _bridge.Telemetry.Meter;
        listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter == meter && i.Name == "sgbridge.failures")
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "kind" && t.Value as string == kind)
                {
                    Interlocked.Add(ref count, v);
                }
            }
        });
        listener.Start();
        return () => Interlocked.Read(ref count);
    }
}
