using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Aws;

/// <summary>
/// DescribeNetworkInterfaces through the real SDK against moto 5.2.1. What moto does (read in its source,
/// ec2/models/elastic_network_interfaces.py): the <c>group-id</c> filter matches the groups an interface was created
/// with (RunInstances' SecurityGroupIds, CreateNetworkInterface's Groups); an instance launched with
/// AssociatePublicIpAddress gets a public IP in <c>Association.PublicIp</c> and <c>Attachment.InstanceId</c>;
/// <c>InterfaceType</c> is always <c>interface</c> and <c>RequesterManaged</c> false; it does not page (no NextToken).
/// </summary>
[Collection(MotoCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BlastRadiusMotoTests(MotoFixture moto) : IDisposable
{
    private const string Region = "eu-west-1";
    private readonly string _account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly BridgeTelemetry _telemetry = new();
    private Ec2SecurityGroupClientFactory? _factory;
    private AssumedRoleCredentialCache? _cache;

    private AwsOptions Options { get; } = TestAwsOptions.Create(moto.Url);

    private AssumedRoleCredentialCache Cache => _cache ??= new AssumedRoleCredentialCache(
        AwsServiceCollectionExtensions.CreateStsClient(Options), new StaticTokenSource(), MsOptions.Create(Options), _time, NullLogger<AssumedRoleCredentialCache>.Instance, _telemetry);

    private Ec2SecurityGroupClientFactory Factory => _factory ??= new Ec2SecurityGroupClientFactory(Cache, MsOptions.Create(Options), NullLoggerFactory.Instance);

    public void Dispose()
    {
        _factory?.Dispose();
        _telemetry.Dispose();
    }

    private async Task<AmazonEC2Client> RawEc2Async()
    {
        var c = (await Cache.GetAsync(_account, CancellationToken.None)).Credentials;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKey, c.SecretKey, c.Token), Ec2SecurityGroupClientFactory.BuildConfig(Options, Region));
    }

    private sealed record World(string GroupId, string OtherGroupId, string PublicInstance, string PrivateInstance, string LoneInterface, string OtherInterface);

    /// <summary>A VPC with a web group on a public instance, a private instance and a bare interface, and an unrelated group.</summary>
    private async Task<World> BuildAsync(AmazonEC2Client ec2)
    {
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24" })).Subnet.SubnetId;
        var web = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "web", Description = "web", VpcId = vpc })).GroupId;
        var other = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "other", Description = "other", VpcId = vpc })).GroupId;
        await ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [web], Tags = [new Tag("env", "prod"), new Tag("team", "payments")] });

        async Task<string> LaunchAsync(bool publicIp) => (await ec2.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = "ami-12c6146b",
            MinCount = 1,
            MaxCount = 1,
            InstanceType = InstanceType.T3Micro,
            NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = subnet, Groups = [web], AssociatePublicIpAddress = publicIp }],
        })).Reservation.Instances[0].InstanceId;

        var publicInstance = await LaunchAsync(publicIp: true);
        var privateInstance = await LaunchAsync(publicIp: false);
        var lone = (await ec2.CreateNetworkInterfaceAsync(new CreateNetworkInterfaceRequest { SubnetId = subnet, Groups = [web], Description = "RDSNetworkInterface" })).NetworkInterface.NetworkInterfaceId;
        var unrelated = (await ec2.CreateNetworkInterfaceAsync(new CreateNetworkInterfaceRequest { SubnetId = subnet, Groups = [other], Description = "ELB app/other/1" })).NetworkInterface.NetworkInterfaceId;
        return new World(web, other, publicInstance, privateInstance, lone, unrelated);
    }

    [MotoFact]
    public async Task DescribeNetworkInterfaces_GroupFilter_ReturnsOnlyTheGroupsInterfacesWithInstancesAndPublicIps()
    {
        using var raw = await RawEc2Async();
        var world = await BuildAsync(raw);
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var interfaces = await client.DescribeNetworkInterfacesAsync(world.GroupId, CancellationToken.None);

        Assert.Equal(3, interfaces.Count);
        Assert.DoesNotContain(interfaces, i => i.Id == world.OtherInterface);
        var onPublic = Assert.Single(interfaces, i => i.InstanceId == world.PublicInstance);
        Assert.NotNull(onPublic.PublicIp);
        Assert.True(System.Net.IPAddress.TryParse(onPublic.PublicIp, out _));
        Assert.Null(Assert.Single(interfaces, i => i.InstanceId == world.PrivateInstance).PublicIp);
        var lone = Assert.Single(interfaces, i => i.Id == world.LoneInterface);
        Assert.Equal("RDSNetworkInterface", lone.Description);
        Assert.Null(lone.InstanceId);
        Assert.All(interfaces, i => Assert.Equal("interface", i.InterfaceType));
    }

    [MotoFact]
    public async Task BlastRadius_FromMoto_NamesInstancesAndDatabaseAndFlagsInternetExposure()
    {
        using var raw = await RawEc2Async();
        var world = await BuildAsync(raw);
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        var radius = new BlastRadius(world.GroupId, await client.DescribeNetworkInterfacesAsync(world.GroupId, CancellationToken.None));
        var open = TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var request = ChangeRequest.Open(RequestId.For(open.EventId), open, DateTimeOffset.UtcNow);

        Assert.Contains(radius.Resources, r => r is { Kind: ProtectedKind.Instance, PublicIp: not null } && r.Name == world.PublicInstance);
        Assert.Contains(radius.Resources, r => r is { Kind: ProtectedKind.Instance, PublicIp: null } && r.Name == world.PrivateInstance);
        Assert.Contains(radius.Resources, r => r.Kind == ProtectedKind.Database);
        var (rule, exposed) = Assert.Single(radius.Exposure(request));
        Assert.Equal("0.0.0.0/0", rule.Source.Value);
        Assert.Equal(world.PublicInstance, Assert.Single(exposed).Name);
    }

    [MotoFact]
    public async Task DescribeGroupTags_ReturnsTheTags_AndNullForAMissingGroup()
    {
        using var raw = await RawEc2Async();
        var world = await BuildAsync(raw);
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var tags = await client.DescribeGroupTagsAsync(world.GroupId, CancellationToken.None);
        var none = await client.DescribeGroupTagsAsync(world.OtherGroupId, CancellationToken.None);
        var missing = await client.DescribeGroupTagsAsync("sg-0000000000000dead", CancellationToken.None);

        Assert.Equal("prod", tags!["env"]);
        Assert.Equal("payments", tags["team"]);
        Assert.Empty(none!);
        Assert.Null(missing);
    }

    [MotoFact]
    public async Task DescribeNetworkInterfaces_GroupWithNoInterfaces_IsEmpty()
    {
        using var raw = await RawEc2Async();
        var world = await BuildAsync(raw);
        var bare = (await raw.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "bare", Description = "bare", VpcId = (await raw.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [world.GroupId] })).SecurityGroups[0].VpcId })).GroupId;
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        Assert.Empty(await client.DescribeNetworkInterfacesAsync(bare, CancellationToken.None));
    }
}
