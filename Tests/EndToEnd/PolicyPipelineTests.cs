using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Decisions by policy on real parts: the function classes as the host calls them, Azurite, moto and the Slack stub,
/// with samples/policy.yaml as Policy:RulesFile and the harness's account aliased "dev".
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PolicyPipelineTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string Region = PipelineHarness.Region;
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;
    private string _group = "";

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Policy:RulesFile"] = RepoRoot.Sample("policy.yaml"),
            ["Policy:AccountAliases"] = "{account}=dev",
        });
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
        _group = await CreateGroupAsync(_ec2, "policy-" + Guid.NewGuid().ToString("N")[..6]);
        await AddAsync(443, "10.1.0.0/16", "https");
        await _h.OnboardAsync();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    private async Task<string> AddAsync(int port, string cidr, string description) =>
        (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = _group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = description }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;

    /// <summary>A person adds a rule in the console; its event reaches the intake; the queues run dry.</summary>
    private async Task<ChangeRequest> ChangeAsync(int port, string cidr)
    {
        var ruleId = await AddAsync(port, cidr, "by hand");
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), _group, port, cidr, "by hand", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        return await RequestAsync((string)evt["detail"]!["eventID"]!);
    }

    private async Task<ChangeRequest> RequestAsync(string eventId) =>
        (await _h.Requests.GetAsync(RequestId.For(eventId), CancellationToken.None))!.Value;

    private async Task<bool> InAwsAsync(int port, string cidr) =>
        (await IngressAsync(_ec2, _group)).Any(r => r.FromPort == port && r.CidrIpv4 == cidr);

    private async Task<bool> ApprovedAsync(int port, string cidr)
    {
        var state = await _h.Services.GetRequiredService<IGroupStateStore>().GetAsync(_h.Account, Region, _group, CancellationToken.None);
        return state!.Value.RuleSet.Any(r => r.FromPort == port && r.Source.Value == cidr);
    }

    private List<string> Posts(string channel) =>
        _h.SlackCalls("chat.postMessage").Concat(_h.SlackCalls("chat.update"))
            .Where(p => (string?)p["channel"] == channel).Select(p => p.ToJsonString()).ToList();

    [MotoFact]
    public async Task PolicyApprove_IsAppliedAtOnce_AndMonitoringIsTold()
    {
        var request = await ChangeAsync(8080, "10.20.0.0/16");

        Assert.Equal(RequestStatus.Applied, request.Status);
        Assert.Equal("policy:dev-private-non-admin", request.DecidedBy);
        Assert.Equal(TimeSpan.FromHours(24), request.ApprovedFor);
        Assert.Equal(("approve", "dev-private-non-admin", (int?)18, "policy.yaml"),
            (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule, request.PolicyDecision.Line, request.PolicyDecision.Source));
        Assert.True(await InAwsAsync(8080, "10.20.0.0/16"));
        Assert.True(await ApprovedAsync(8080, "10.20.0.0/16"));
        Assert.Contains(Posts(MonitoringChannel), p => p.Contains(request.Id, StringComparison.Ordinal) && p.Contains("dev-private-non-admin", StringComparison.Ordinal));
        // No buttons were ever offered for it.
        Assert.DoesNotContain(Posts(ApproversChannel), p => p.Contains("sgbridge_decision:" + request.Id, StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task PolicyDeny_KeepsTheChangeReverted_AndMonitoringIsTold()
    {
        var request = await ChangeAsync(22, "0.0.0.0/0");

        Assert.Equal((RequestStatus.Denied, "policy:deny-internet-admin-and-db"), (request.Status, request.DecidedBy));
        Assert.Equal("deny", request.PolicyDecision!.Outcome);
        Assert.False(await InAwsAsync(22, "0.0.0.0/0"));
        Assert.False(await ApprovedAsync(22, "0.0.0.0/0"));
        Assert.Null(request.Apply); // never applied: a denial raises no apply
        Assert.Contains(Posts(MonitoringChannel), p => p.Contains(request.Id, StringComparison.Ordinal) && p.Contains("deny-internet-admin-and-db", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task PolicyAsk_WaitsForAnApprover_WhoSeesTheRuleAndLine_ThenApproves()
    {
        var request = await ChangeAsync(22, "10.0.0.0/8");

        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(("ask", "everything-else", (int?)32), (request.PolicyDecision!.Outcome, request.PolicyDecision.Rule, request.PolicyDecision.Line));
        var message = Assert.Single(Posts(ApproversChannel), p => p.Contains("sgbridge_decision:" + request.Id, StringComparison.Ordinal));
        Assert.Contains("everything-else", message, StringComparison.Ordinal);
        Assert.Contains("policy.yaml line 32", message, StringComparison.Ordinal);
        Assert.False(await InAwsAsync(22, "10.0.0.0/8"));

        Assert.Equal(200, await _h.ClickAsync(SgBridge.Shared.Slack.ActionIds.For(SgBridge.Shared.Slack.ActionIds.Approve, request.Id), request.Id));
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal((RequestStatus.Applied, Approver), ((await RequestAsync(request.EventId)).Status, (await RequestAsync(request.EventId)).DecidedBy));
        Assert.True(await InAwsAsync(22, "10.0.0.0/8"));
    }

    [MotoFact]
    public async Task ForgedEvent_ClaimingAnApprovedRule_StaysUnmatched_NeverAutoApproved()
    {
        // 443 from 10.1.0.0/16 is approved; a forged add naming it (which the policy would approve: private, non-admin,
        // dev) must not change anything, and nothing is decided for it.
        var approved = (await IngressAsync(_ec2, _group)).Single(r => r.FromPort == 443);
        var forged = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), _group, 443, "10.1.0.0/16", "https", approved.SecurityGroupRuleId);

        Assert.Equal(202, (await _h.PostEventAsync(forged)).Status);
        Assert.Equal(0, await _h.PumpAsync());

        var request = await RequestAsync((string)forged["detail"]!["eventID"]!);
        Assert.Equal((RequestStatus.Unmatched, (string?)null, (PolicyDecisionRecord?)null), (request.Status, request.DecidedBy, request.PolicyDecision));
        Assert.True(await InAwsAsync(443, "10.1.0.0/16"));
    }

    [MotoFact]
    public async Task RedeliveredEvent_IsNotDecidedTwice()
    {
        var ruleId = await AddAsync(8081, "10.30.0.0/16", "by hand");
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), _group, 8081, "10.30.0.0/16", "by hand", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var first = await RequestAsync((string)evt["detail"]!["eventID"]!);

        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());

        var again = await RequestAsync((string)evt["detail"]!["eventID"]!);
        Assert.Equal((RequestStatus.Applied, first.DecidedAt, first.Apply?.Call), (again.Status, again.DecidedAt, again.Apply?.Call));
        Assert.Single(await IngressAsync(_ec2, _group), r => r.FromPort == 8081);
    }
}
