using Amazon.Runtime;
using Amazon.SecurityToken;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Aws;

public static class AwsServiceCollectionExtensions
{
    /// <summary>AWS options, the STS client, the web identity token source, the credential cache and the EC2 client factory.</summary>
    public static IServiceCollection AddSgBridgeAws(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<AwsOptions>(configuration, AwsOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAmazonSecurityTokenService>(sp => CreateStsClient(sp.GetRequiredService<IOptions<AwsOptions>>().Value));
        // Built in every mode (the credential cache takes it), but only WebIdentity mode asks it for a token; the
        // audience it needs is read then, so AssumeRole mode (no Aws:WebIdentityAudience) builds and runs without it.
        services.TryAddSingleton<IWebIdentityTokenSource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AwsOptions>>();
            return new EntraWebIdentityTokenSource(EntraWebIdentityTokenSource.CreateCredential(options.Value), options);
        });
        services.TryAddSingleton<SgBridge.Shared.Telemetry.BridgeTelemetry>();
        services.TryAddSingleton<AssumedRoleCredentialCache>();
        services.TryAddSingleton<ISecurityGroupClientFactory, Ec2SecurityGroupClientFactory>();
        services.AddValidatedOptions<BlastRadiusOptions>(configuration, BlastRadiusOptions.SectionName);
        services.TryAddSingleton<BlastRadiusReader>();
        return services;
    }

    /// <summary>The regional STS client: anonymous for WebIdentity (no AWS credentials needed), the SDK's default chain for
    /// AssumeRole.</summary>
    public static AmazonSecurityTokenServiceClient CreateStsClient(AwsOptions options)
    {
        var config = Ec2SecurityGroupClientFactory.Configure(
            new AmazonSecurityTokenServiceConfig(), options.MaxErrorRetry, options.StsEndpoint, options.StsRegion);
        return options.AuthMode == AwsAuthMode.WebIdentity
            ? new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config)
            : new AmazonSecurityTokenServiceClient(config);
    }
}
