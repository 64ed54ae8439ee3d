using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Telemetry;
using SgBridge.Tests.Integration;
using MsOptions = Microsoft.Extensions.Options.Options;
using DomainRule = SgBridge.Shared.Domain.SecurityGroupRule;

namespace SgBridge.Tests.Aws;

/// <summary>The real AWS SDK against moto: STS AssumeRoleWithWebIdentity and the EC2 security group calls.</summary>
[Collection(MotoCollection.Name)]
[Trait("Category", "Integration")]
public sealed class Ec2SecurityGroupClientMotoTests(MotoFixture moto) : IDisposable
{
    private const string Region = "eu-west-1";
    // moto keys its state by account (from the assumed-role credentials) and region: one account per test isolates them.
    private readonly string _account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly StaticTokenSource _tokens = new();
    private AwsOptions? _options;
    private AssumedRoleCredentialCache? _cache;
    private Ec2SecurityGroupClientFactory? _factory;
    private readonly BridgeTelemetry _telemetry = new();
    private MetricRecorder? _metrics;

    /// <summary>STS calls for the test's account, as the <c>sgbridge.sts.calls</c> metric counts them.</summary>
    private long StsCalls => (long)_metrics!.Sum("sgbridge.sts.calls", (TelemetryTags.Account, _account));

    private AwsOptions Options => _options ??= TestAwsOptions.Create(moto.Url);

    private AssumedRoleCredentialCache Cache => _cache ??= CreateCache();

    private AssumedRoleCredentialCache CreateCache()
    {
        _metrics = new MetricRecorder(_telemetry.Meter);
        return new AssumedRoleCredentialCache(
            AwsServiceCollectionExtensions.CreateStsClient(Options), _tokens, MsOptions.Create(Options), _time, NullLogger<AssumedRoleCredentialCache>.Instance, _telemetry);
    }

    private Ec2SecurityGroupClientFactory Factory => _factory ??= new Ec2SecurityGroupClientFactory(Cache, MsOptions.Create(Options), NullLoggerFactory.Instance);

    public void Dispose()
    {
        _factory?.Dispose();
        _metrics?.Dispose();
        _telemetry.Dispose();
    }

    /// <summary>A raw EC2 client in the same account (same assumed credentials) and region, to set up VPCs and groups.</summary>
    private async Task<AmazonEC2Client> RawEc2Async()
    {
        var c = (await Cache.GetAsync(_account, CancellationToken.None)).Credentials;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKey, c.SecretKey, c.Token), Ec2SecurityGroupClientFactory.BuildConfig(Options, Region));
    }

    private async Task<string> CreateGroupAsync(AmazonEC2Client ec2, string name)
    {
        var vpc = await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" });
        var group = await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name, Description = "test", VpcId = vpc.Vpc.VpcId });
        return group.GroupId;
    }

    private static readonly DomainRule Ssh = new("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "ssh from office");
    private static readonly DomainRule Https = new("tcp", 443, 443, RuleSource.Ipv4("192.168.0.0/16"), "https");
    private static readonly DomainRule HttpsV6 = new("tcp", 443, 443, RuleSource.Ipv6("2001:db8::/32"), "https v6");

    [MotoFact]
    public async Task AssumeRoleWithWebIdentity_ThroughMoto_IsCachedForTheSecondCall()
    {
        var first = await Cache.GetAsync(_account, CancellationToken.None);
        var second = await Cache.GetAsync(_account, CancellationToken.None);

        Assert.StartsWith("ASIA", first.Credentials.AccessKey, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(first.Credentials.Token));
        Assert.True(first.Expiration > _time.GetUtcNow().AddMinutes(50));
        Assert.Same(first, second);
        Assert.Equal(1, StsCalls);
        Assert.Equal(1, _tokens.Calls);
    }

    [MotoFact]
    public async Task Authorize_WithDescriptions_DescribeShowsRulesWithIds()
    {
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "authz");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var outcome = await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh, Https, HttpsV6]), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Message);
        Assert.StartsWith("ec2:AuthorizeSecurityGroupIngress GroupId=" + groupId, outcome.Call, StringComparison.Ordinal);
        // moto gap: the response's securityGroupRuleSet lists only the last IpPermission's rules (AWS lists all).
        Assert.NotEmpty(outcome.Notes);
        Assert.All(outcome.Notes, n => Assert.StartsWith("created sgr-", n, StringComparison.Ordinal));

        var group = await client.DescribeGroupAsync(groupId, null, CancellationToken.None);
        Assert.NotNull(group);
        Assert.Equal("authz", group.GroupName);
        Assert.StartsWith("vpc-", group.VpcId, StringComparison.Ordinal);
        Assert.Equal(3, group.IngressRules.Count); // the default egress rule is not listed
        Assert.All(group.IngressRules, r => Assert.StartsWith("sgr-", r.RuleId, StringComparison.Ordinal));
        var ssh = Assert.Single(group.IngressRules, r => r.SameAccessAs(Ssh));
        Assert.Equal("ssh from office", ssh.Description);
        Assert.Equal("https v6", Assert.Single(group.IngressRules, r => r.SameAccessAs(HttpsV6)).Description);
    }

    [MotoFact]
    public async Task DescribeGroup_CarriesTheGroupsTags_FromTheSameAnswer()
    {
        using var ec2 = await RawEc2Async();
        var tagged = await CreateGroupAsync(ec2, "tagged");
        var bare = await CreateGroupAsync(ec2, "bare");
        await ec2.CreateTagsAsync(new Amazon.EC2.Model.CreateTagsRequest { Resources = [tagged], Tags = [new("env", "dev"), new("team", "payments")] });
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var group = await client.DescribeGroupAsync(tagged, null, CancellationToken.None);
        var none = await client.DescribeGroupAsync(bare, null, CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["env"] = "dev", ["team"] = "payments" }, group!.Tags);
        Assert.NotNull(none!.Tags);
        Assert.Empty(none.Tags!);
    }

    [MotoFact]
    public async Task RevokeByIds_RemovesTheRule()
    {
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "revoke-ids");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh, Https]), CancellationToken.None);
        var before = await client.DescribeGroupAsync(groupId, null, CancellationToken.None);
        var sshId = before!.IngressRules.Single(r => r.SameAccessAs(Ssh)).RuleId!;

        var outcome = await client.ExecuteAsync(new RevokeIngressByIds(groupId, [sshId]), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Message);
        var after = await client.DescribeGroupAsync(groupId, null, CancellationToken.None);
        Assert.True(Assert.Single(after!.IngressRules).SameAccessAs(Https));
    }

    [MotoFact]
    public async Task RevokeByRules_RemovesTheRules_WithoutDescriptions()
    {
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "revoke-rules");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh, Https, HttpsV6]), CancellationToken.None);

        var outcome = await client.ExecuteAsync(
            new RevokeIngressByRules(groupId, [Ssh with { Description = null }, Https with { Description = null }]), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Message);
        var after = await client.DescribeGroupAsync(groupId, null, CancellationToken.None);
        Assert.True(Assert.Single(after!.IngressRules).SameAccessAs(HttpsV6));
    }

    [MotoFact]
    public async Task ModifyRules_ChangesTheRuleContent()
    {
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "modify");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh]), CancellationToken.None);
        var ruleId = (await client.DescribeGroupAsync(groupId, null, CancellationToken.None))!.IngressRules.Single().RuleId!;
        var changed = new DomainRule("tcp", 2222, 2222, RuleSource.Ipv4("10.1.0.0/16"), "moved");

        var outcome = await client.ExecuteAsync(new ModifyRules(groupId, [new RuleModification(ruleId, changed)]), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Message);
        var rule = Assert.Single((await client.DescribeGroupAsync(groupId, null, CancellationToken.None))!.IngressRules);
        Assert.Equal(ruleId, rule.RuleId);
        Assert.True(rule.SameAccessAs(changed));
        Assert.Equal("moved", rule.Description);
    }

    [MotoFact]
    public async Task Authorize_Duplicate_RuleInTheLiveGroup_IsDoneWithANote()
    {
        // A second authorize of a rule in place (what a lost response's retry sends) took effect already: the live group
        // decides, and the outcome says so instead of failing.
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "dup");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh]), CancellationToken.None);

        var outcome = await client.ExecuteAsync(new AuthorizeIngress(groupId, [Ssh]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Contains(outcome.Notes, n => n.Contains("already in place", StringComparison.Ordinal) && n.Contains("InvalidPermission.Duplicate", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task Write_GroupNotFound_ReturnsInvalidGroupNotFound_AndDescribeReturnsNull()
    {
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var outcome = await client.ExecuteAsync(new AuthorizeIngress("sg-0123456789abcdef0", [Ssh]), CancellationToken.None);
        var described = await client.DescribeGroupAsync("sg-0123456789abcdef0", null, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("InvalidGroup.NotFound", outcome.ErrorCode);
        Assert.Null(described);
        Assert.Null(await client.DescribeGroupAsync(null, "no-such-group", CancellationToken.None));
    }

    [MotoFact]
    public async Task DescribeByName_FindsTheDefaultVpcGroup()
    {
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var group = await client.DescribeGroupAsync(null, "default", CancellationToken.None);

        Assert.NotNull(group);
        Assert.StartsWith("sg-", group.GroupId, StringComparison.Ordinal);
        Assert.Equal("default", group.GroupName);
        Assert.StartsWith("vpc-", group.VpcId, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Factory_ReusesTheClient_AndRenewsCredentialsAfterExpiry()
    {
        var first = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        Assert.NotNull(await first.DescribeGroupAsync(null, "default", CancellationToken.None));

        // Past Expiration - RefreshMargin. moto dates the renewed credentials by the real clock, so they arrive with
        // under 5 minutes left by the fake clock: the cache then keeps them for half that rather than calling STS every time.
        _time.Advance(TimeSpan.FromMinutes(56));
        var second = await Factory.CreateAsync(_account, Region, CancellationToken.None);
        Assert.NotNull(await second.DescribeGroupAsync(null, "default", CancellationToken.None));

        Assert.Same(first, second);
        Assert.Equal(2, StsCalls);
    }

    [MotoFact]
    public async Task RevokeByRules_RuleNotInGroup_IsDoneWithANote()
    {
        // moto answers InvalidPermission.NotFound in every VPC; real AWS does so in a non-default VPC, while in the
        // default VPC it returns UnknownIpPermissions (a failed outcome, covered in AwsWireMockTests). A not-found
        // revoke of access the live group does not hold has its effect: done, with a note.
        using var ec2 = await RawEc2Async();
        var groupId = await CreateGroupAsync(ec2, "revoke-missing");
        var client = await Factory.CreateAsync(_account, Region, CancellationToken.None);

        var outcome = await client.ExecuteAsync(new RevokeIngressByRules(groupId, [Ssh]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Contains(outcome.Notes, n => n.Contains("already gone", StringComparison.Ordinal) && n.Contains("InvalidPermission.NotFound", StringComparison.Ordinal));
    }
}
