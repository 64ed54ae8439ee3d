using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Aws;

/// <summary>
/// Reads a group's blast radius for an approver message: cached per group for <see cref="BlastRadiusOptions.CacheTtl"/>
/// and never holding the message past <see cref="BlastRadiusOptions.Budget"/> (the read then fills the cache later). Any
/// failure becomes <see cref="BlastRadius.Unavailable"/> with the reason; only the caller's cancellation throws.
/// </summary>
public sealed partial class BlastRadiusReader(
    ISecurityGroupClientFactory factory, IOptions<BlastRadiusOptions> options, TimeProvider time, ILogger<BlastRadiusReader> logger)
{
    /// <summary>A read still running after this is given up, so a hung connection does not stay in the cache.</summary>
    private static readonly TimeSpan HardLimit = TimeSpan.FromSeconds(30);

    private readonly BlastRadiusOptions _options = options.Value;
    private readonly SingleFlightCache<string, BlastRadius> _cache = new(options.Value.CacheTtl, time, StringComparer.Ordinal);

    /// <summary>The blast radius of <paramref name="groupId"/>, or why it is unavailable; null when the feature is off.</summary>
    public async Task<BlastRadius?> ReadAsync(string accountId, string region, string? groupId, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return null;
        }
        if (string.IsNullOrEmpty(groupId))
        {
            return BlastRadius.Failed("?", "the event named the group only by name");
        }
        var (radius, failure) = await Ec2ReadFailure.TryAsync(
            budget => _cache.GetAsync($"{accountId}|{region}|{groupId}", _ => LookupAsync(accountId, region, groupId), budget),
            _options.Budget, "DescribeNetworkInterfaces", ": update the member role stack", cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            LogUnavailable(logger, groupId, accountId, failure);
        }
        return radius ?? BlastRadius.Failed(groupId, failure!);
    }

    private async Task<BlastRadius> LookupAsync(string accountId, string region, string groupId)
    {
        using var limit = new CancellationTokenSource(HardLimit);
        var client = await factory.CreateAsync(accountId, region, limit.Token).ConfigureAwait(false);
        return new BlastRadius(groupId, await client.DescribeNetworkInterfacesAsync(groupId, limit.Token).ConfigureAwait(false));
    }

    [LoggerMessage(5101, LogLevel.Warning, "Blast radius of {GroupId} in {AccountId} unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string groupId, string accountId, string reason);
}
