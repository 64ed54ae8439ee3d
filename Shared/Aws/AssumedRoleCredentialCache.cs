using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Aws;

/// <summary>Temporary credentials of the bridge's role in one account, and when they expire.</summary>
public sealed record AssumedRoleCredentials(ImmutableCredentials Credentials, DateTimeOffset Expiration);

/// <summary>
/// Assumes the bridge's role in each account through STS and caches the credentials until <c>Expiration -
/// RefreshMargin</c> (or half their remaining lifetime when less than twice the margin is left, e.g. under clock skew,
/// so STS is not called on every request). Concurrent callers share one STS call; a failure is not cached.
/// </summary>
public sealed class AssumedRoleCredentialCache(
    IAmazonSecurityTokenService sts,
    IWebIdentityTokenSource tokenSource,
    IOptions<AwsOptions> options,
    TimeProvider timeProvider,
    ILogger<AssumedRoleCredentialCache> logger,
    BridgeTelemetry telemetry)
{
    private readonly AwsOptions _options = options.Value;
    private readonly SingleFlightCache<string, AssumedRoleCredentials> _cache =
        new(c => RefreshTimeFor(c, timeProvider.GetUtcNow(), options.Value.RefreshMargin), timeProvider, StringComparer.Ordinal);

    /// <summary>Valid credentials for the account's role, from the cache or from one shared STS call.</summary>
    public Task<AssumedRoleCredentials> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        return _cache.GetAsync(accountId, _ => AssumeAsync(accountId), cancellationToken);
    }

    private static DateTimeOffset RefreshTimeFor(AssumedRoleCredentials credentials, DateTimeOffset now, TimeSpan refreshMargin)
    {
        var remaining = credentials.Expiration - now;
        return remaining <= TimeSpan.Zero
            ? DateTimeOffset.MinValue
            : credentials.Expiration - (remaining > 2 * refreshMargin ? refreshMargin : remaining / 2);
    }

    private async Task<AssumedRoleCredentials> AssumeAsync(string accountId)
    {
        var roleArn = _options.RoleArnFor(accountId);
        AwsLog.AssumingRole(logger, accountId, _options.AuthMode.ToString(), roleArn);
        telemetry.StsCalls.Add(1, new(TelemetryTags.Account, accountId), new(TelemetryTags.AuthMode, _options.AuthMode.ToString()));
        var duration = (int)_options.SessionDuration.TotalSeconds;
        try
        {
            var credentials = _options.AuthMode == AwsAuthMode.WebIdentity
                ? (await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = _options.SessionName,
                    WebIdentityToken = await tokenSource.GetTokenAsync(CancellationToken.None).ConfigureAwait(false),
                    DurationSeconds = duration,
                }).ConfigureAwait(false)).Credentials
                : (await sts.AssumeRoleAsync(new AssumeRoleRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = _options.SessionName,
                    ExternalId = _options.ExternalId,
                    DurationSeconds = duration,
                }).ConfigureAwait(false)).Credentials;
            var result = ToAssumed(credentials);
            AwsLog.AssumedRole(logger, accountId, result.Expiration);
            return result;
        }
        catch (Exception ex)
        {
            AwsLog.AssumeRoleFailed(logger, accountId, ex);
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "sts"));
            if (ex is Amazon.SecurityToken.AmazonSecurityTokenServiceException { ErrorCode: "AccessDenied" } denied)
            {
                // Retrying will not deploy the role: say what is wrong, once.
                throw new RoleNotAssumableException(accountId, roleArn, denied);
            }
            throw;
        }
    }

    private static AssumedRoleCredentials ToAssumed(Credentials? credentials)
    {
        if (credentials is null || string.IsNullOrEmpty(credentials.AccessKeyId) || credentials.Expiration is null)
        {
            throw new InvalidOperationException("STS returned no credentials.");
        }
        var expiration = credentials.Expiration.Value;
        var utc = expiration.Kind == DateTimeKind.Local ? expiration.ToUniversalTime() : DateTime.SpecifyKind(expiration, DateTimeKind.Utc);
        return new AssumedRoleCredentials(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
            new DateTimeOffset(utc));
    }
}

/// <summary>AWS credentials that always come from the cache, so a long-lived EC2 client signs with renewed credentials.</summary>
internal sealed class CachedRoleAwsCredentials(AssumedRoleCredentialCache cache, string accountId) : AWSCredentials
{
    public override ImmutableCredentials GetCredentials() =>
        cache.GetAsync(accountId, CancellationToken.None).GetAwaiter().GetResult().Credentials;

    public override async Task<ImmutableCredentials> GetCredentialsAsync() =>
        (await cache.GetAsync(accountId, CancellationToken.None).ConfigureAwait(false)).Credentials;
}
