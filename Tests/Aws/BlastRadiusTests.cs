using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Aws;

/// <summary>Classification, the exposure flag, the reader's cache and budget, its settings' edges, and the message section.</summary>
public sealed class BlastRadiusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static NetworkInterfaceInfo Eni(string id, string? type = "interface", bool managed = false, string? description = null, string? instance = null, string? publicIp = null, params string[] ipv6) =>
        new(id, type, managed, description, instance, publicIp) { Ipv6Addresses = ipv6 };

    private static ChangeRequest Request(params SecurityGroupRule[] rules)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = rules };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        return r;
    }

    [Fact]
    public void Resources_ClassifiedByTypeInstanceAndDescription_OneEntryPerResource()
    {
        var radius = new BlastRadius("sg-1",
        [
            Eni("eni-1", instance: "i-web", publicIp: "54.1.1.1"),
            Eni("eni-2", instance: "i-web"),
            Eni("eni-3", managed: true, description: "ELB app/shop-alb/50dc6c495c0c9188", publicIp: "3.3.3.3"),
            Eni("eni-4", managed: true, description: "ELB app/shop-alb/50dc6c495c0c9188", publicIp: "3.3.3.4"),
            Eni("eni-5", type: "network_load_balancer", managed: true, description: "ELB net/nlb/1"),
            Eni("eni-6", managed: true, description: "RDSNetworkInterface"),
            Eni("eni-7", type: "lambda", managed: true, description: "AWS Lambda VPC ENI-fn-1"),
            Eni("eni-8", type: "nat_gateway", managed: true, description: "Interface for NAT Gateway nat-0abc"),
            Eni("eni-9", type: "vpc_endpoint", managed: true, description: "VPC Endpoint Interface vpce-0abc"),
            Eni("eni-10", description: "arn:aws:ecs:eu-west-1:111111111111:attachment/abc"),
            Eni("eni-11", managed: true, description: "ElastiCache redis-001"),
            Eni("eni-12", managed: true, description: "EFS mount target for fs-0abc (fsmt-1)"),
            Eni("eni-13", managed: true, instance: "i-managed", description: "AWS created network interface for directory d-123"),
            Eni("eni-14"),
            Eni("eni-15", description: "ELB classic-lb"),
        ]);

        Assert.Equal(
        [
            (ProtectedKind.Instance, "i-web", "54.1.1.1"),
            (ProtectedKind.LoadBalancer, "app/shop-alb", "3.3.3.3"),
            (ProtectedKind.LoadBalancer, "classic-lb", null),
            (ProtectedKind.LoadBalancer, "net/nlb", null),
            (ProtectedKind.Database, "RDS (eni-6)", null),
            (ProtectedKind.Cache, "ElastiCache redis-001", null),
            (ProtectedKind.Lambda, "AWS Lambda VPC ENI-fn-1", null),
            (ProtectedKind.Container, "ECS task (eni-10)", null),
            (ProtectedKind.NatGateway, "nat-0abc", null),
            (ProtectedKind.VpcEndpoint, "vpce-0abc", null),
            (ProtectedKind.FileSystem, "fs-0abc", null),
            (ProtectedKind.OtherService, "AWS created network interface for directory d-123", null),
            (ProtectedKind.Unattached, "eni-14", null),
        ], radius.Resources.Select(r => (r.Kind, r.Name, r.PublicIp)));
    }

    [Theory]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("::/0", true)]
    [InlineData("8.0.0.0/8", true)]
    [InlineData("8.0.0.0/9", false)]
    [InlineData("64.0.0.0/2", true)]
    [InlineData("10.0.0.0/8", false)]
    [InlineData("172.16.0.0/12", false)]
    [InlineData("192.168.0.0/16", false)]
    [InlineData("100.64.0.0/10", false)]
    [InlineData("203.0.113.0/24", false)]
    [InlineData("2001::/16", true)]
    [InlineData("2001:db8::/32", false)]
    [InlineData("fd00::/8", false)]
    [InlineData("fe80::/10", false)]
    [InlineData("not-a-cidr", false)]
    public void IsWidePublic_Edges(string cidr, bool wide)
    {
        var source = cidr.Contains(':', StringComparison.Ordinal) ? RuleSource.Ipv6(cidr) : RuleSource.Ipv4(cidr);

        Assert.Equal(wide, BlastRadius.IsWidePublic(source));
    }

    [Fact]
    public void Exposure_InternetRuleOnPublicResource_Flagged_PrivateRuleOrPrivateResourcesNot()
    {
        var exposed = new BlastRadius("sg-1", [Eni("eni-1", instance: "i-pub", publicIp: "54.1.1.1"), Eni("eni-2", instance: "i-priv")]);
        var hidden = new BlastRadius("sg-1", [Eni("eni-2", instance: "i-priv")]);
        var v6Only = new BlastRadius("sg-1", [Eni("eni-3", instance: "i-v6", ipv6: "2600::1")]);
        var open = Request(TestData.Tcp(22, "0.0.0.0/0"));
        var openV6 = Request(new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv6("::/0")));
        var office = Request(TestData.Tcp(22, "203.0.113.0/24"));
        var group = Request(new SecurityGroupRule("tcp", 22, 22, RuleSource.Group("sg-other")));

        Assert.Equal("i-pub", Assert.Single(Assert.Single(exposed.Exposure(open)).Exposed).Name);
        Assert.Empty(exposed.Exposure(office));
        Assert.Empty(exposed.Exposure(group));
        Assert.Empty(hidden.Exposure(open));
        Assert.Empty(v6Only.Exposure(open));
        Assert.Equal("i-v6", Assert.Single(Assert.Single(v6Only.Exposure(openV6)).Exposed).Name);
        Assert.Empty(BlastRadius.Failed("sg-1", "denied").Exposure(open));
    }

    private static BlastRadiusReader Reader(FakeSecurityGroupClient ec2, FakeTimeProvider time, BlastRadiusOptions? options = null) =>
        new(ec2, O.Create(options ?? new BlastRadiusOptions()), time, NullLogger<BlastRadiusReader>.Instance);

    [Fact]
    public async Task Read_WithinTheTtl_IsACacheHit_AfterItRereads()
    {
        var ec2 = new FakeSecurityGroupClient();
        ec2.Interfaces.Add(Eni("eni-1", instance: "i-1"));
        var time = new FakeTimeProvider(Now);
        var reader = Reader(ec2, time, new BlastRadiusOptions { CacheTtl = TimeSpan.FromMinutes(2) });

        await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        time.Advance(TimeSpan.FromSeconds(119));
        await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        Assert.Single(ec2.Calls, c => c == "describe-interfaces");

        time.Advance(TimeSpan.FromSeconds(1));
        var fresh = await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        Assert.Equal(2, ec2.Calls.Count(c => c == "describe-interfaces"));
        Assert.Equal("i-1", Assert.Single(fresh!.Resources).Name);
    }

    [Fact]
    public async Task Read_ConcurrentMessages_ShareOneRead()
    {
        var ec2 = new FakeSecurityGroupClient();
        var gate = new TaskCompletionSource();
        ec2.DescribeInterfacesDelay = _ => gate.Task;
        var reader = Reader(ec2, new FakeTimeProvider(Now), new BlastRadiusOptions { Budget = TimeSpan.FromSeconds(10) });

        var both = Task.WhenAll(reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default), reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default));
        gate.SetResult();
        await both;

        Assert.Single(ec2.Calls, c => c == "describe-interfaces");
    }

    [Fact]
    public async Task Read_TtlZero_ReadsForEveryMessage()
    {
        var ec2 = new FakeSecurityGroupClient();
        var reader = Reader(ec2, new FakeTimeProvider(Now), new BlastRadiusOptions { CacheTtl = TimeSpan.Zero });

        await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);

        Assert.Equal(2, ec2.Calls.Count(c => c == "describe-interfaces"));
    }

    [Fact]
    public async Task Read_Failure_IsUnavailableWithTheReason_AndNotCached()
    {
        var ec2 = new FakeSecurityGroupClient { DescribeInterfacesThrows = new HttpRequestException("connection refused") };
        var reader = Reader(ec2, new FakeTimeProvider(Now));

        var failed = await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        ec2.DescribeInterfacesThrows = null;
        var recovered = await reader.ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);

        Assert.Equal("EC2 could not be reached", failed!.Unavailable);
        Assert.True(recovered!.IsAvailable);
    }

    [Fact]
    public async Task Read_StsRefusesTheRole_IsUnavailable()
    {
        var ec2 = new FakeSecurityGroupClient { Deny = new AwsServiceException("STS", "InvalidIdentityToken", 400, "bad token", null) };

        var radius = await Reader(ec2, new FakeTimeProvider(Now)).ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);

        Assert.Equal("AWS error InvalidIdentityToken", radius!.Unavailable);
    }

    [Fact]
    public async Task Read_Disabled_MakesNoCall_AndGroupOnlyByName_IsUnavailable()
    {
        var ec2 = new FakeSecurityGroupClient();

        var off = await Reader(ec2, new FakeTimeProvider(Now), new BlastRadiusOptions { Enabled = false }).ReadAsync(TestData.Account, TestData.Region, ec2.GroupId, default);
        var byName = await Reader(ec2, new FakeTimeProvider(Now)).ReadAsync(TestData.Account, TestData.Region, null, default);

        Assert.Null(off);
        Assert.Equal("the event named the group only by name", byName!.Unavailable);
        Assert.DoesNotContain("describe-interfaces", ec2.Calls);
    }

    [Theory]
    [InlineData("00:00:00", "00:00:02", true)]
    [InlineData("01:00:00", "00:00:02", true)]
    [InlineData("01:00:01", "00:00:02", false)]
    [InlineData("-00:00:01", "00:00:02", false)]
    [InlineData("00:02:00", "00:00:00.050", true)]
    [InlineData("00:02:00", "00:00:10", true)]
    [InlineData("00:02:00", "00:00:00.049", false)]
    [InlineData("00:02:00", "00:00:10.001", false)]
    [InlineData("00:02:00", "00:00:00", false)]
    public void Options_Edges_ValidatedAtStartUp_NamingTheSetting(string ttl, string budget, bool valid)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BlastRadius:CacheTtl"] = ttl,
            ["BlastRadius:Budget"] = budget,
        }).Build();
        using var provider = new ServiceCollection().AddValidatedOptions<BlastRadiusOptions>(configuration, BlastRadiusOptions.SectionName).Services.BuildServiceProvider();

        if (valid)
        {
            Assert.Equal(TimeSpan.Parse(ttl, System.Globalization.CultureInfo.InvariantCulture), provider.GetRequiredService<IOptions<BlastRadiusOptions>>().Value.CacheTtl);
        }
        else
        {
            var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BlastRadiusOptions>>().Value);
            Assert.Contains("BlastRadius:", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Message_WithBlastRadius_SectionBeforeTheButtons_WithTheExposureFlagFirst()
    {
        var r = Request(TestData.Tcp(22, "0.0.0.0/0"));
        var radius = new BlastRadius("sg-1", [Eni("eni-1", instance: "i-pub", publicIp: "54.1.1.1"), Eni("eni-2", managed: true, description: "RDSNetworkInterface")]);

        var message = ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers([r], null, null), [r], radius);

        var blocks = message.Blocks.Select(b => b!).ToList();
        var section = blocks.Single(b => Text(b).Contains("Blast radius", StringComparison.Ordinal));
        var actions = blocks.FindIndex(b => b["type"]!.GetValue<string>() == "actions");
        Assert.Equal(actions - 1, blocks.IndexOf(section));
        var text = Text(section);
        Assert.StartsWith(":dart: *Blast radius:* 2 network interfaces, 1 with a public IP", text, StringComparison.Ordinal);
        Assert.Contains(":rotating_light: *Internet exposure:* TCP 22 from the internet (0.0.0.0/0) would reach 1 internet-reachable resource: `i-pub` (54.1.1.1)", text, StringComparison.Ordinal);
        Assert.Contains("• Database `RDS (eni-2)`", text, StringComparison.Ordinal);
        Assert.Empty(SlackPayloadValidator.Check(message.Text, message.Blocks));
    }

    [Fact]
    public void Message_Unavailable_SaysWhy()
    {
        var r = Request(TestData.Tcp(22, "0.0.0.0/0"));

        var message = ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers([r], null, null), [r],
            BlastRadius.Failed("sg-1", "the bridge's role may not call ec2:DescribeNetworkInterfaces (UnauthorizedOperation)"));

        Assert.Contains(message.Blocks, b => Text(b!) == ":grey_question: *Blast radius unavailable:* the bridge's role may not call ec2:DescribeNetworkInterfaces (UnauthorizedOperation)");
    }

    [Fact]
    public void Message_ThousandsOfInterfacesAndAFullBatch_StaysWithinSlacksLimits()
    {
        var batch = Enumerable.Range(0, 20).Select(i => Request(TestData.Tcp(1000 + i, "0.0.0.0/0", new string('d', 255)))).ToList();
        var radius = new BlastRadius("sg-1", Enumerable.Range(0, 3000).Select(i => Eni($"eni-{i}", instance: $"i-{i:x17}", publicIp: $"54.0.{i / 250}.{i % 250}")).ToArray());

        var message = ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers(batch, "prod", null), batch, radius);

        Assert.Empty(SlackPayloadValidator.Check(message.Text, message.Blocks));
        Assert.Contains(message.Blocks, b => Text(b!).Contains("Blast radius", StringComparison.Ordinal) || Text(b!).Contains("Blast radius", StringComparison.Ordinal));
    }

    [Fact]
    public void Message_LargestBatch_BlastRadiusAfterTheHeader_AndTheWholeMessageFitsFiftyBlocks()
    {
        var batch = Enumerable.Range(0, 25).Select(i => Request(TestData.Tcp(1000 + i, "0.0.0.0/0"))).ToList();
        var plain = ApprovalMessageBuilder.ForApprovers(batch, null, null);

        var message = ApprovalMessageBuilder.WithBlastRadius(plain, batch, new BlastRadius("sg-1", [Eni("eni-1", instance: "i-pub", publicIp: "54.1.1.1")]));

        Assert.True(message.Blocks.Count <= SlackLimits.BlocksPerMessage);
        // In a batch the blast radius belongs to the group: after the header and fields, before the first change.
        Assert.StartsWith(":dart: *Blast radius:* 1 network interface", Text(message.Blocks[3]!), StringComparison.Ordinal);
        Assert.Empty(SlackPayloadValidator.Check(message.Text, message.Blocks));
    }

    [Fact]
    public void Message_NoInterfaces_SaysNothingIsExposedToday()
    {
        var r = Request(TestData.Tcp(22, "0.0.0.0/0"));

        var message = ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers([r], null, null), [r], new BlastRadius("sg-1", []));

        Assert.Contains(message.Blocks, b => Text(b!).Contains("No network interface uses this group", StringComparison.Ordinal));
    }

    private static string Text(JsonNode block) => block["type"]!.GetValue<string>() switch
    {
        "section" or "header" => block["text"]?["text"]?.GetValue<string>() ?? "",
        "context" => block["elements"]![0]!["text"]!.GetValue<string>(),
        _ => "",
    };
}
