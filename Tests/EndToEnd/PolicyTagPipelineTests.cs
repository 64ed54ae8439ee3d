using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Cli;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// A policy rule on the group's tags on real parts (function classes, Azurite, moto with real tags, the Slack stub): the
/// same change is approved and applied at once on a group tagged env=dev, team=payments, and asked on an untagged one.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PolicyTagPipelineTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string Region = PipelineHarness.Region;
    private const string TagPolicy = """
        rules:
          - name: pay-dev-private
            when:
              source: { within: [10.0.0.0/8] }
              groupTags: { env: dev, team: "pay*" }
            outcome: approve
            duration: 8h
          - name: everything-else
            outcome: ask
        """;

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-tags-e2e-{Guid.NewGuid():N}.yaml");
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;
    private string _tagged = "";
    private string _untagged = "";

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        await File.WriteAllTextAsync(_file, TagPolicy);
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?> { ["Policy:RulesFile"] = _file });
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        _tagged = await CreateGroupAsync(_ec2, "pay-" + suffix);
        _untagged = await CreateGroupAsync(_ec2, "plain-" + suffix);
        await _ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [_tagged], Tags = [new Tag("env", "dev"), new Tag("team", "payments")] });
        await _h.OnboardAsync();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
        File.Delete(_file);
    }

    /// <summary>A person adds 8080 from 10.20.0.0/16 to <paramref name="group"/>; its event reaches the intake; the queues run dry.</summary>
    private async Task<ChangeRequest> ChangeAsync(string group)
    {
        var ruleId = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 8080, ToPort = 8080, Ipv4Ranges = [new IpRange { CidrIp = "10.20.0.0/16", Description = "by hand" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 8080, "10.20.0.0/16", "by hand", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        return (await _h.Requests.GetAsync(RequestId.For((string)evt["detail"]!["eventID"]!), CancellationToken.None))!.Value;
    }

    private async Task<bool> InAwsAsync(string group) =>
        (await IngressAsync(_ec2, group)).Any(r => r.FromPort == 8080 && r.CidrIpv4 == "10.20.0.0/16");

    private List<string> Posts(string channel) =>
        _h.SlackCalls("chat.postMessage").Concat(_h.SlackCalls("chat.update"))
            .Where(p => (string?)p["channel"] == channel).Select(p => p.ToJsonString()).ToList();

    [MotoFact]
    public async Task TaggedGroup_ApprovedByTheTagRule_AndApplied_UntaggedGroup_Asked()
    {
        var tagged = await ChangeAsync(_tagged);

        Assert.Equal(RequestStatus.Applied, tagged.Status);
        Assert.Equal("policy:pay-dev-private", tagged.DecidedBy);
        Assert.Equal(TimeSpan.FromHours(8), tagged.ApprovedFor);
        Assert.Equal(("approve", "pay-dev-private", (int?)2), (tagged.PolicyDecision!.Outcome, tagged.PolicyDecision.Rule, tagged.PolicyDecision.Line));
        Assert.True(await InAwsAsync(_tagged));
        Assert.DoesNotContain(Posts(ApproversChannel), p => p.Contains("sgbridge_decision:" + tagged.Id, StringComparison.Ordinal));

        var untagged = await ChangeAsync(_untagged);

        Assert.Equal(RequestStatus.Pending, untagged.Status);
        Assert.Equal(("ask", "everything-else"), (untagged.PolicyDecision!.Outcome, untagged.PolicyDecision.Rule));
        Assert.Contains("says ask", untagged.PolicyDecision.Reason, StringComparison.Ordinal);
        Assert.False(await InAwsAsync(_untagged));
        Assert.Single(Posts(ApproversChannel), p => p.Contains("sgbridge_decision:" + untagged.Id, StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task PlanLive_ReadsTheTagsForTheTagRule_AndShowsTheOutcome()
    {
        var tagged = await PlanLiveAsync(_tagged);
        Assert.Equal(0, tagged.Exit);
        Assert.Contains("Group tags (read live for a groupTags rule): env=dev, team=payments", tagged.Output, StringComparison.Ordinal);
        Assert.Contains("Decision: APPROVE for 8h, by rule 'pay-dev-private'", tagged.Output, StringComparison.Ordinal);

        var untagged = await PlanLiveAsync(_untagged);
        Assert.Contains("Group tags (read live for a groupTags rule): none", untagged.Output, StringComparison.Ordinal);
        Assert.Contains("Decision: ASK, by rule 'everything-else'", untagged.Output, StringComparison.Ordinal);
    }

    /// <summary>`sgbridge plan EVENT --live` with the harness's settings (Policy__RulesFile included), for a rule a person just added.</summary>
    private async Task<(int Exit, string Output)> PlanLiveAsync(string group)
    {
        var ruleId = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 8443, ToPort = 8443, Ipv4Ranges = [new IpRange { CidrIp = "10.30.0.0/16" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 8443, "10.30.0.0/16", "", ruleId);
        var file = Path.Combine(Path.GetTempPath(), $"sgbridge-plan-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, evt.ToJsonString());
        try
        {
            var output = new StringWriter();
            var exit = await CliApp.RunAsync(["plan", file, "--live"], new CliContext
            {
                Out = output,
                Error = output,
                Environment = _h.Settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value),
                ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new TestToken()),
            });
            return (exit, output.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class TestToken : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult("header.payload.signature");
    }
}
