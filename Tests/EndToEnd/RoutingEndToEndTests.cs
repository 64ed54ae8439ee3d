using Amazon.EC2;
using Amazon.EC2.Model;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// A routed group on real parts: moto holds a group tagged for the payments team with a public instance behind it; the
/// approvers' message goes to the payments channel with the blast radius (read from moto) flagging the exposure; the
/// global approver's click is refused, the routed approver's click applies the change in moto.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RoutingEndToEndTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string RoutedChannel = "CPAYMENTS";
    private const string RoutedMonitoring = "CPAYMENTSMON";
    private const string RoutedApprover = "UPAYLEAD";
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Slack:Routes:0:Match"] = "tag:team=payments",
            ["Slack:Routes:0:ApproversChannel"] = RoutedChannel,
            ["Slack:Routes:0:ApproverUserIds"] = RoutedApprover,
            ["Slack:Routes:0:MonitoringChannel"] = RoutedMonitoring,
        });
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    /// <summary>A group tagged team=payments in its own VPC, with one instance that has a public IP.</summary>
    private async Task<(string Group, string Instance)> PaymentsGroupAsync()
    {
        var vpc = (await _ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var subnet = (await _ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24" })).Subnet.SubnetId;
        var group = (await _ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "pay-" + Guid.NewGuid().ToString("N")[..6], Description = "e2e", VpcId = vpc })).GroupId;
        await _ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [group], Tags = [new Tag("team", "payments")] });
        var instance = (await _ec2.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = "ami-12c6146b",
            MinCount = 1,
            MaxCount = 1,
            InstanceType = InstanceType.T3Micro,
            NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = subnet, Groups = [group], AssociatePublicIpAddress = true }],
        })).Reservation.Instances[0].InstanceId;
        return (group, instance);
    }

    [MotoFact]
    public async Task TaggedGroup_MessageInTheRoutedChannelWithBlastRadius_OnlyTheRoutedApproverApplies()
    {
        var (group, instance) = await PaymentsGroupAsync();
        await _h.OnboardAsync();
        var rule = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0", Description = "debug" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 22, "0.0.0.0/0", "debug", rule);

        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());

        var request = (await _h.Requests.GetAsync(RequestId.For((string)evt["detail"]!["eventID"]!), CancellationToken.None))!.Value;
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.DoesNotContain(await IngressAsync(_ec2, group), r => r.FromPort == 22);
        var posts = _h.SlackCalls("chat.postMessage").Where(p => p["thread_ts"] is null && (string?)p["channel"] != "UREQUESTER").ToList();
        Assert.Equal([RoutedChannel, RoutedMonitoring], posts.Select(p => (string)p["channel"]!));
        var blocks = posts[0]["blocks"]!.ToJsonString();
        Assert.Contains("Blast radius:* 1 network interface, 1 with a public IP", blocks, StringComparison.Ordinal);
        Assert.Contains("Internet exposure", blocks, StringComparison.Ordinal);
        Assert.Contains(instance, blocks, StringComparison.Ordinal);
        Assert.Equal(RoutedChannel, (await _h.ApproverMessageAsync(request.Id))!.Channel);

        // The global approver is not an approver of the payments route: refused, nothing applied.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id, Approver));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Pending, (await _h.Requests.GetAsync(request.Id, CancellationToken.None))!.Value.Status);

        // The routed approver approves from the routed message: applied in moto.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id, RoutedApprover));
        Assert.Equal(0, await _h.PumpAsync());
        var applied = (await _h.Requests.GetAsync(request.Id, CancellationToken.None))!.Value;
        Assert.Equal((RequestStatus.Applied, RoutedApprover), (applied.Status, applied.DecidedBy));
        Assert.Contains(await IngressAsync(_ec2, group), r => r.FromPort == 22 && r.CidrIpv4 == "0.0.0.0/0");
    }
}
