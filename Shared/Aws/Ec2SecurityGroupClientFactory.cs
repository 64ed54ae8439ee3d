using System.Collections.Concurrent;
using Amazon;
using Amazon.EC2;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Aws;

/// <summary>
/// One EC2 client per account and region, kept: it draws credentials from <see cref="AssumedRoleCredentialCache"/> on
/// every request, so renewed credentials need no rebuild (disposing a client another message still uses would race).
/// </summary>
public sealed class Ec2SecurityGroupClientFactory(
    AssumedRoleCredentialCache credentials,
    IOptions<AwsOptions> options,
    ILoggerFactory loggerFactory) : ISecurityGroupClientFactory, IDisposable
{
    private readonly ConcurrentDictionary<(string Account, string Region), Lazy<Entry>> _clients = new();

    public async Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        // Assume the role now, so a broken trust policy fails here rather than inside the first EC2 call.
        await AwsErrorBoundary.Translate(() => credentials.GetAsync(accountId, cancellationToken)).ConfigureAwait(false);
        return _clients.GetOrAdd((accountId, region), key => new Lazy<Entry>(() => CreateEntry(key.Account, key.Region))).Value.Client;
    }

    private Entry CreateEntry(string accountId, string region)
    {
        var ec2 = new AmazonEC2Client(new CachedRoleAwsCredentials(credentials, accountId), BuildConfig(options.Value, region));
        return new Entry(ec2, new AwsErrorBoundary(new Ec2SecurityGroupClient(ec2, loggerFactory.CreateLogger<Ec2SecurityGroupClient>())));
    }

    /// <summary>The EC2 client configuration for a region: standard retries, and the endpoint override when set.</summary>
    public static AmazonEC2Config BuildConfig(AwsOptions options, string region) =>
        Configure(new AmazonEC2Config(), options.MaxErrorRetry,
            options.Ec2Endpoint?.Replace("{region}", region, StringComparison.Ordinal), region);

    /// <summary>Standard retries; the region's endpoint, or <paramref name="endpoint"/> when set.</summary>
    internal static T Configure<T>(T config, int maxErrorRetry, string? endpoint, string region)
        where T : ClientConfig
    {
        config.RetryMode = RequestRetryMode.Standard;
        config.MaxErrorRetry = maxErrorRetry;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            // ServiceURL and RegionEndpoint exclude each other; sign for the region (moto keys its state by it).
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        return config;
    }

    public void Dispose()
    {
        foreach (var lazy in _clients.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Ec2.Dispose();
            }
        }
        _clients.Clear();
    }

    private sealed record Entry(AmazonEC2Client Ec2, ISecurityGroupClient Client);
}
