using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Aws;

/// <summary>
/// Reads a group's blast radius for an approver message: cached per group for <see cref="BlastRadiusOptions.CacheTtl"/>
/// and never holding the message past <see cref="BlastRadiusOptions.Budget"/>. Any failure becomes
/// <see cref="BlastRadius.Unavailable"/> with the reason; only the caller's cancellation throws.
/// </summary>
public sealed partial class BlastRadiusReader
{
    /// <summary>A read still running after this is given up, so a hung connection does not stay in the cache.</summary>
    internal static readonly TimeSpan HardLimit = TimeSpan.FromSeconds(30);

    private readonly ISecurityGroupClientFactory _factory;
    private readonly BlastRadiusOptions _options;
    private readonly ILogger<BlastRadiusReader> _logger;
    private readonly SingleFlightCache<string, BlastRadius> _cache;

    public BlastRadiusReader(ISecurityGroupClientFactory factory, IOptions<BlastRadiusOptions> options, TimeProvider time, ILogger<BlastRadiusReader> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _factory = factory;
        _options = options.Value;
        _logger = logger;
        _cache = new SingleFlightCache<string, BlastRadius>(_options.CacheTtl, time, StringComparer.Ordinal);
    }

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
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.Budget);
        try
        {
            return await _cache.GetAsync($"{accountId}|{region}|{groupId}", _ => LookupAsync(accountId, region, groupId), budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(_logger, groupId, accountId, "timeout");
            return BlastRadius.Failed(groupId, $"no answer from EC2 within {_options.Budget.TotalSeconds:0.##} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var reason = Reason(ex);
            LogUnavailable(_logger, groupId, accountId, reason);
            return BlastRadius.Failed(groupId, reason);
        }
    }

    private async Task<BlastRadius> LookupAsync(string accountId, string region, string groupId)
    {
        using var limit = new CancellationTokenSource(HardLimit);
        var client = await _factory.CreateAsync(accountId, region, limit.Token).ConfigureAwait(false);
        var interfaces = await client.DescribeNetworkInterfacesAsync(groupId, limit.Token).ConfigureAwait(false);
        return new BlastRadius(groupId, interfaces);
    }

    /// <summary>Why the read failed, in words an approver can act on (no secrets: AWS error codes and short messages only).</summary>
    internal static string Reason(Exception ex) => ex switch
    {
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "UnauthorizedOperation" or "AccessDenied" or "AccessDeniedException" =>
            $"the bridge's role may not call ec2:DescribeNetworkInterfaces ({Ec2ErrorText.Normalise(e.ErrorCode)}): update the member role stack",
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "RequestLimitExceeded" or "Throttling" =>
            $"EC2 throttled the read ({Ec2ErrorText.Normalise(e.ErrorCode)})",
        AwsServiceException { Service: "EC2" } e => $"EC2 error {(Ec2ErrorText.Normalise(e.ErrorCode) is { Length: > 0 } code ? code : "HTTP " + e.StatusCode)}",
        AwsServiceException e => $"AWS error {(e.ErrorCode is { Length: > 0 } code ? code : e.Service)}",
        OperationCanceledException => $"no answer from EC2 within {HardLimit.TotalSeconds:0} s",
        HttpRequestException => "EC2 could not be reached",
        _ => ex.GetType().Name,
    };

    [LoggerMessage(5101, LogLevel.Warning, "Blast radius of {GroupId} in {AccountId} unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string groupId, string accountId, string reason);
}
