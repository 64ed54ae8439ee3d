using Amazon.SecurityToken;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;

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
