using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using SgBridge.Emulators;
using SgBridge.Local.Aws;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Local;

/// <summary>
/// The in-process EC2/STS and moto answer the calls the bridge and the demo make in the same way: the same test, through
/// the real AWS SDK, against each (moto's run is skipped with an install hint when moto_server is not installed).
/// </summary>
[Trait("Category", "Integration")]
public sealed class AwsEmulatorContractTests
{
    [Fact]
    public Task SecurityGroupCalls_OnTheEmulator_BehaveAsOnMoto() => SecurityGroupCallsAsync("emulator");

    [MotoFact]
    public Task SecurityGroupCalls_OnMoto_BehaveAsOnTheEmulator() => SecurityGroupCallsAsync("moto");

    [Fact]
    public Task Accounts_OnTheEmulator_SeeOnlyTheirOwnGroups() => AccountsAsync("emulator");

    [MotoFact]
    public Task Accounts_OnMoto_SeeOnlyTheirOwnGroups() => AccountsAsync("moto");

    private static async Task SecurityGroupCallsAsync(string target)
    {
        await using var server = await AwsTarget.StartAsync(target);
        var account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var ec2 = await server.Ec2ForAsync(account);

        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var groupId = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = "web", Description = "contract", VpcId = vpc,
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Amazon.EC2.Model.Tag("team", "payments")] }],
        })).GroupId;

        var group = (await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] })).SecurityGroups.Single();
        Assert.Equal(("web", vpc), (group.GroupName, group.VpcId));
        Assert.Equal("payments", group.Tags.Single(t => t.Key == "team").Value);
        Assert.Contains(group.IpPermissionsEgress, p => p.IpProtocol == "-1" && p.Ipv4Ranges.Any(r => r.CidrIp == "0.0.0.0/0"));

        var ssh = new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0", Description = "temporary ssh" }] };
        var created = (await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = [ssh] })).SecurityGroupRules.Single();
        Assert.Equal(("tcp", 22, 22, "0.0.0.0/0", "temporary ssh", false), (created.IpProtocol, created.FromPort, created.ToPort, created.CidrIpv4, created.Description, created.IsEgress));
        Assert.StartsWith("sgr-", created.SecurityGroupRuleId, StringComparison.Ordinal);

        var duplicate = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = [ssh] }));
        Assert.Equal("InvalidPermission.Duplicate", duplicate.ErrorCode);

        var rules = await IngressAsync(ec2, groupId);
        Assert.Equal(created.SecurityGroupRuleId, rules.Single().SecurityGroupRuleId);

        await ec2.ModifySecurityGroupRulesAsync(new ModifySecurityGroupRulesRequest
        {
            GroupId = groupId,
            SecurityGroupRules = [new SecurityGroupRuleUpdate
            {
                SecurityGroupRuleId = created.SecurityGroupRuleId,
                SecurityGroupRule = new SecurityGroupRuleRequest { IpProtocol = "tcp", FromPort = 22, ToPort = 22, CidrIpv4 = "10.0.0.0/8", Description = "vpn" },
            }],
        });
        var modified = (await IngressAsync(ec2, groupId)).Single();
        Assert.Equal((created.SecurityGroupRuleId, "10.0.0.0/8", "vpn"), (modified.SecurityGroupRuleId, modified.CidrIpv4, modified.Description));

        var notThere = new IpPermission { IpProtocol = "tcp", FromPort = 3389, ToPort = 3389, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0" }] };
        var notFound = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = [notThere] }));
        Assert.Equal("InvalidPermission.NotFound", notFound.ErrorCode);

        var revoked = await ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = groupId, SecurityGroupRuleIds = [created.SecurityGroupRuleId] });
        Assert.True(revoked.Return);
        Assert.Empty(await IngressAsync(ec2, groupId));

        var missing = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = ["sg-0000000000000dead"] }));
        Assert.Equal("InvalidGroup.NotFound", missing.ErrorCode);
        Assert.Empty((await ec2.DescribeNetworkInterfacesAsync(new DescribeNetworkInterfacesRequest { Filters = [new Filter("group-id", [groupId])] })).NetworkInterfaces ?? []);
    }

    private static async Task AccountsAsync(string target)
    {
        await using var server = await AwsTarget.StartAsync(target);
        using var first = await server.Ec2ForAsync("111111111111");
        using var second = await server.Ec2ForAsync("222222222222");
        var vpc = (await first.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.1.0.0/16" })).Vpc.VpcId;
        var groupId = (await first.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "only-mine", Description = "x", VpcId = vpc })).GroupId;

        var mine = (await first.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups;
        var theirs = (await second.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups ?? [];

        Assert.Contains(mine, g => g.GroupId == groupId);
        Assert.DoesNotContain(theirs, g => g.GroupId == groupId);
    }

    private static async Task<List<SecurityGroupRule>> IngressAsync(AmazonEC2Client ec2, string groupId) =>
        ((await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [groupId])] })).SecurityGroupRules ?? [])
            .Where(r => r.IsEgress != true).ToList();

    /// <summary>The emulator on its own Kestrel, or moto_server; an EC2 client per account through STS, as the bridge gets one.</summary>
    private sealed class AwsTarget : IAsyncDisposable
    {
        private WebApplication? _app;
        private Moto? _moto;

        public string Url { get; private set; } = "";

        public static async Task<AwsTarget> StartAsync(string target)
        {
            var t = new AwsTarget();
            if (target == "moto")
            {
                t._moto = await Moto.StartAsync();
                t.Url = t._moto.Url;
                return t;
            }
            var port = ChildProcess.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            t._app = builder.Build();
            t._app.MapPost("/", new AwsEmulator().HandleAsync);
            await t._app.StartAsync();
            t.Url = $"http://127.0.0.1:{port}";
            return t;
        }

        public async Task<AmazonEC2Client> Ec2ForAsync(string account)
        {
            using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { ServiceURL = Url, AuthenticationRegion = "us-east-1" });
            var c = (await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
            {
                RoleArn = $"arn:aws:iam::{account}:role/SgBridgeExecutionRole",
                RoleSessionName = "contract",
                WebIdentityToken = "token",
            })).Credentials;
            return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
                new AmazonEC2Config { ServiceURL = Url, AuthenticationRegion = "eu-west-1", MaxErrorRetry = 0 });
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
            if (_moto is not null)
            {
                await _moto.DisposeAsync();
            }
        }
    }
}
