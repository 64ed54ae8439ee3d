using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Telemetry;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Aws;

public sealed class AwsServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        before?.Invoke(services);
        services.AddSgBridgeAws(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static Dictionary<string, string?> Settings(string mode = "WebIdentity") => new()
    {
        ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
        ["Aws:AuthMode"] = mode,
        ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
        ["Aws:ExternalId"] = "ext-123",
        ["Aws:StsEndpoint"] = "http://127.0.0.1:5999",
        ["Aws:StsRegion"] = "eu-central-1",
    };

    [Theory]
    [InlineData("WebIdentity")]
    [InlineData("AssumeRole")]
    public void AddSgBridgeAws_ResolvesFactoryAndStsClientOnConfiguredEndpoint(string mode)
    {
        using var provider = Build(Settings(mode));

        Assert.IsType<Ec2SecurityGroupClientFactory>(provider.GetRequiredService<ISecurityGroupClientFactory>());
        Assert.IsType<EntraWebIdentityTokenSource>(provider.GetRequiredService<IWebIdentityTokenSource>());
        var sts = provider.GetRequiredService<IAmazonSecurityTokenService>();
        Assert.Equal("http://127.0.0.1:5999/", sts.Config.ServiceURL);
        Assert.Equal("eu-central-1", sts.Config.AuthenticationRegion);
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    /// <summary>AssumeRole mode with only its documented settings: no Aws:WebIdentityAudience (the defect: the EC2 factory could not be built).</summary>
    private static Dictionary<string, string?> AssumeRoleSettings() => new()
    {
        ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
        ["Aws:AuthMode"] = "AssumeRole",
        ["Aws:ExternalId"] = "ext-123",
    };

    [Fact]
    public void AddSgBridgeAws_AssumeRoleWithoutAudience_BuildsTheCacheAndTheFactory()
    {
        using var provider = Build(AssumeRoleSettings());

        Assert.Empty(provider.GetRequiredService<IOptions<AwsOptions>>().Value.WebIdentityAudience ?? "");
        Assert.NotNull(provider.GetRequiredService<AssumedRoleCredentialCache>());
        Assert.IsType<Ec2SecurityGroupClientFactory>(provider.GetRequiredService<ISecurityGroupClientFactory>());
    }

    [Fact]
    public async Task EntraWebIdentityTokenSource_WithoutAudience_FailsOnlyWhenAskedForAToken()
    {
        var source = new EntraWebIdentityTokenSource(new Azure.Identity.DefaultAzureCredential(), Options.Create(new AwsOptions()));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync(CancellationToken.None));
        Assert.Contains("Aws:WebIdentityAudience is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSgBridgeAws_KeepsAnExistingTimeProvider()
    {
        var fake = new FakeTimeProvider();
        using var provider = Build(Settings(), s => s.AddSingleton<TimeProvider>(fake));

        Assert.Same(fake, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddSgBridgeAws_MissingRoleArnPattern_FailsValidation()
    {
        var settings = Settings();
        settings.Remove("Aws:RoleArnPattern");
        using var provider = Build(settings);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AwsOptions>>().Value);
        Assert.Contains("Aws:RoleArnPattern is required, e.g. arn:aws:iam::{accountId}:role/", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildConfig_ReplacesRegionInEndpoint_AndSignsForTheRegion()
    {
        var options = TestAwsOptions.Create("http://ec2.{region}.example.test:4566");

        var config = Ec2SecurityGroupClientFactory.BuildConfig(options, "ap-southeast-2");

        Assert.Equal("http://ec2.ap-southeast-2.example.test:4566/", config.ServiceURL);
        Assert.Equal("ap-southeast-2", config.AuthenticationRegion);
        Assert.Equal(Amazon.Runtime.RequestRetryMode.Standard, config.RetryMode);
        Assert.Equal(options.MaxErrorRetry, config.MaxErrorRetry);
    }

    [Fact]
    public void BuildConfig_WithoutEndpoint_UsesTheRegionEndpoint()
    {
        var config = Ec2SecurityGroupClientFactory.BuildConfig(TestAwsOptions.Create(), "eu-west-3");

        Assert.Equal(Amazon.RegionEndpoint.EUWest3, config.RegionEndpoint);
        Assert.Null(config.ServiceURL);
    }

    [Theory]
    [InlineData("api://sgbridge-aws", "api://sgbridge-aws/.default")]
    [InlineData("api://sgbridge-aws/", "api://sgbridge-aws/.default")]
    [InlineData("api://sgbridge-aws/.default", "api://sgbridge-aws/.default")]
    public void ScopeFor_AppendsDefault(string audience, string expected) =>
        Assert.Equal(expected, EntraWebIdentityTokenSource.ScopeFor(audience));
}

/// <summary>
/// AssumeRole mode end to end through DI, against moto: only the documented settings, base credentials from the
/// environment (dummy values; moto's STS accepts any), and the EC2 client factory describes a group.
/// </summary>
[Collection(MotoCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AwsServiceCollectionExtensionsMotoTests(MotoFixture moto)
{
    private const string Region = "eu-west-1";

    // Dummy base credentials: not key-shaped, so no secret scanner mistakes them for real ones.
    private const string DummyAccessKeyId = "sgbridge-test-access-key-id";
    private const string DummySecretKey = "sgbridge-test-secret-key";

    [MotoFact]
    public async Task AssumeRoleMode_WithOnlyTheDocumentedSettings_GetsCredentialsAndDescribesAGroup()
    {
        var account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var saved = (Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"), Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN"));
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", DummyAccessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", DummySecretKey);
        Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
                ["Aws:AuthMode"] = "AssumeRole",
                ["Aws:ExternalId"] = "sgbridge-external-id",
                ["Aws:StsEndpoint"] = moto.Url,
                ["Aws:Ec2Endpoint"] = moto.Url,
            }).Build();
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(configuration);
            services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
            services.AddSgBridgeAws(configuration);
            using var telemetry = new BridgeTelemetry();
            using var metrics = new MetricRecorder(telemetry.Meter);
            services.AddSingleton(telemetry);
            await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            provider.GetRequiredService<IStartupValidator>().Validate();

            // The STS client signs AssumeRole with the environment's base credentials; moto answers with the role's.
            var cache = provider.GetRequiredService<AssumedRoleCredentialCache>();
            var assumed = await cache.GetAsync(account, CancellationToken.None);
            Assert.NotEqual(DummyAccessKeyId, assumed.Credentials.AccessKey);
            Assert.False(string.IsNullOrEmpty(assumed.Credentials.Token));

            // A group in the role's account (moto keys state by the assumed credentials' account).
            using var raw = new AmazonEC2Client(
                new SessionAWSCredentials(assumed.Credentials.AccessKey, assumed.Credentials.SecretKey, assumed.Credentials.Token),
                Ec2SecurityGroupClientFactory.BuildConfig(provider.GetRequiredService<IOptions<AwsOptions>>().Value, Region));
            var vpc = await raw.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" });
            var created = await raw.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "assume-role", Description = "test", VpcId = vpc.Vpc.VpcId });

            var client = await provider.GetRequiredService<ISecurityGroupClientFactory>().CreateAsync(account, Region, CancellationToken.None);
            var group = await client.DescribeGroupAsync(created.GroupId, null, CancellationToken.None);

            Assert.NotNull(group);
            Assert.Equal(created.GroupId, group.GroupId);
            Assert.Equal("assume-role", group.GroupName);
            Assert.Equal(1, metrics.Sum("sgbridge.sts.calls", (TelemetryTags.Account, account)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", saved.Item1);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", saved.Item2);
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", saved.Item3);
        }
    }
}
