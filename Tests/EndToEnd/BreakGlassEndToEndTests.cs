using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Integration;
using SgBridge.Tests.Telemetry;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Break-glass on real parts (Azurite, moto, the Slack stub, the function classes as the host calls them): the Slack
/// stub maps the change's requester (alice@example.com) to UREQUESTER, who is also an approver. Configured as
/// break-glass, their approval of their own reverted change is written, applied in moto, counted and announced loudly
/// in the monitoring channel — once, however often the click is replayed. Not configured, it is refused and nothing
/// is applied.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BreakGlassEndToEndTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string Requester = "UREQUESTER";
    private PipelineHarness? _h;
    private AmazonEC2Client? _ec2;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    private async Task<PipelineHarness> StartAsync(string breakGlassUsers)
    {
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Slack:ApproverUserIds"] = $"{Approver},{Requester}",
            ["Slack:BreakGlassUserIds"] = breakGlassUsers,
        });
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
        return _h;
    }

    /// <summary>An onboarded group; the requester adds 22 from 10.20.0.0/16; the bridge reverts it and asks the approvers.</summary>
    private async Task<(string Group, string RequestId)> RevertedChangeAsync(PipelineHarness h)
    {
        var group = await CreateGroupAsync(_ec2!, "bg-" + Guid.NewGuid().ToString("N")[..6]);
        await h.OnboardAsync();
        var rule = (await _ec2!.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "10.20.0.0/16", Description = "incident" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(h.Account, PipelineHarness.Region, Events.Sso(h.Account), group, 22, "10.20.0.0/16", "incident", rule);
        Assert.Equal(202, (await h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await h.PumpAsync());
        var id = RequestId.For((string)evt["detail"]!["eventID"]!);
        Assert.Equal(RequestStatus.Pending, (await h.Requests.GetAsync(id, CancellationToken.None))!.Value.Status);
        Assert.Empty(await Port22Async(group));
        return (group, id);
    }

    private async Task<List<Amazon.EC2.Model.SecurityGroupRule>> Port22Async(string group) =>
        (await IngressAsync(_ec2!, group)).Where(r => r.FromPort == 22).ToList();

    private List<string> BreakGlassNotices(PipelineHarness h) => h.SlackCalls("chat.postMessage")
        .Where(p => ((string?)p["text"])?.Contains("BREAK-GLASS", StringComparison.Ordinal) == true)
        .Select(p => (string)p["channel"]! + " " + (string)p["text"]!).ToList();

    [MotoFact]
    public async Task BreakGlassUser_ApprovesTheirOwnChange_ItIsAppliedCountedAndAnnouncedOnce_AReplayChangesNothing()
    {
        var h = await StartAsync(Requester);
        using var metrics = new MetricRecorder(h.Services.GetRequiredService<BridgeTelemetry>().Meter);
        var (group, id) = await RevertedChangeAsync(h);

        // The same signed payload twice, at once (Slack retried, or someone replayed it).
        var statuses = await Task.WhenAll(h.ClickAsync(ActionIds.Approve, id, Requester), h.ClickAsync(ActionIds.Approve, id, Requester));
        Assert.Equal([200, 200], statuses);
        Assert.Equal(0, await h.PumpAsync());

        var applied = (await h.Requests.GetAsync(id, CancellationToken.None))!.Value;
        Assert.Equal((RequestStatus.Applied, Requester), (applied.Status, applied.DecidedBy));
        var rule = Assert.Single(await Port22Async(group)); // applied once
        Assert.Equal("10.20.0.0/16", rule.CidrIpv4);
        var approved = await h.Services.GetRequiredService<SgBridge.Shared.Storage.IGroupStateStore>().GetAsync(h.Account, PipelineHarness.Region, group, CancellationToken.None);
        Assert.Single(approved!.Value.Rules, r => r.Rule.FromPort == 22 && r.Rule.Source.Value == "10.20.0.0/16");

        var notice = Assert.Single(BreakGlassNotices(h)); // told once
        Assert.StartsWith(MonitoringChannel + " ", notice, StringComparison.Ordinal);
        Assert.Contains($"*BREAK-GLASS* <@{Requester}> approved *their own* change `{id}`", notice, StringComparison.Ordinal);
        Assert.Contains("No second person approved it.", notice, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Sum("sgbridge.break_glass", ("account", h.Account)));

        // Replayed again later, after everything settled: still one rule, one notice, one count.
        Assert.Equal(200, await h.ClickAsync(ActionIds.Approve, id, Requester));
        Assert.Equal(0, await h.PumpAsync());
        Assert.Single(await Port22Async(group));
        Assert.Single(BreakGlassNotices(h));
        Assert.Equal(1, metrics.Sum("sgbridge.break_glass"));
    }

    [MotoFact]
    public async Task ApproverWhoIsNotBreakGlass_ApprovingTheirOwnChange_IsRefused_NothingApplied()
    {
        var h = await StartAsync("USOMEONEELSE");
        using var metrics = new MetricRecorder(h.Services.GetRequiredService<BridgeTelemetry>().Meter);
        var (group, id) = await RevertedChangeAsync(h);

        Assert.Equal(200, await h.ClickAsync(ActionIds.Approve, id, Requester));
        Assert.Equal(0, await h.PumpAsync());

        Assert.Equal(RequestStatus.Pending, (await h.Requests.GetAsync(id, CancellationToken.None))!.Value.Status);
        Assert.Empty(await Port22Async(group));
        Assert.Empty(BreakGlassNotices(h));
        Assert.Equal(0, metrics.Sum("sgbridge.break_glass"));
        Assert.Contains(h.SlackCalls("chat.postEphemeral"), p => (string?)p["user"] == Requester
            && ((string)p["text"]!).Contains($"you cannot approve {id} yourself", StringComparison.Ordinal));

        // Another approver can.
        Assert.Equal(200, await h.ClickAsync(ActionIds.Approve, id, Approver));
        Assert.Equal(0, await h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await h.Requests.GetAsync(id, CancellationToken.None))!.Value.Status);
        Assert.Single(await Port22Async(group));
        Assert.Empty(BreakGlassNotices(h));
    }
}
