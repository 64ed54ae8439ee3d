using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Aws;

/// <summary>Temporary credentials of the bridge's role in one account, and when they expire.</summary>
public sealed record AssumedRoleCredentials(ImmutableCredentials Credentials, DateTimeOffset Expiration);

/// <summary>
/// Assumes the bridge's role in each account through STS (AssumeRoleWithWebIdentity or AssumeRole with ExternalId)
/// and caches the credentials until <c>Expiration - RefreshMargin</c> (or, when credentials arrive with less than
/// twice the margin left, e.g. under clock skew, until half their remaining lifetime, so STS is not called on every
/// request). Concurrent callers for one account share a
/// single in-flight STS call; a failed call is not cached, so the next caller tries again.
/// </summary>
public sealed class AssumedRoleCredentialCache(
    IAmazonSecurityTokenService sts,
    IWebIdentityTokenSource tokenSource,
    IOptions<AwsOptions> options,
    TimeProvider timeProvider,
    ILogger<AssumedRoleCredentialCache> logger,
    BridgeTelemetry? telemetry = null)
{
    private readonly AwsOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Valid credentials for the account's role, from the cache or from one shared STS call.</summary>
    public async Task<AssumedRoleCredentials> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var entry = _entries.GetOrAdd(accountId, static _ => new Entry());
        Task<AssumedRoleCredentials> pending;
        lock (entry)
        {
            if (entry.Current is { } current && timeProvider.GetUtcNow() < entry.RefreshAt)
            {
                return current;
            }
            if (entry.InFlight is null || entry.InFlight.IsCompleted)
            {
                // Not tied to this caller's token: other callers share the call.
                entry.InFlight = RefreshAsync(accountId, entry);
            }
            pending = entry.InFlight;
        }
        return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private DateTimeOffset RefreshTimeFor(AssumedRoleCredentials credentials)
    {
        var remaining = credentials.Expiration - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return DateTimeOffset.MinValue;
        }
        var margin = remaining > 2 * _options.RefreshMargin ? _options.RefreshMargin : remaining / 2;
        return credentials.Expiration - margin;
    }

    private async Task<AssumedRoleCredentials> RefreshAsync(string accountId, Entry entry)
    {
        var fresh = await AssumeAsync(accountId).ConfigureAwait(false);
        lock (entry)
        {
            entry.Current = fresh;
            entry.RefreshAt = RefreshTimeFor(fresh);
        }
        return fresh;
    }

    private async Task<AssumedRoleCredentials> AssumeAsync(string accountId)
    {
        var roleArn = _options.RoleArnFor(accountId);
        AwsLog.AssumingRole(logger, accountId, _options.AuthMode.ToString(), roleArn);
        telemetry?.StsCalls.Add(1, new(TelemetryTags.Account, accountId), new(TelemetryTags.AuthMode, _options.AuthMode.ToString()));
        var duration = (int)_options.SessionDuration.TotalSeconds;
        try
        {
            Credentials credentials;
            if (_options.AuthMode == AwsAuthMode.WebIdentity)
            {
                var token = await tokenSource.GetTokenAsync(CancellationToken.None).ConfigureAwait(false);
                var response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = _options.SessionName,
                    WebIdentityToken = token,
                    DurationSeconds = duration,
                }).ConfigureAwait(false);
                credentials = response.Credentials;
            }
            else
            {
                var response = await sts.AssumeRoleAsync(new AssumeRoleRequest
                {
                    RoleArn = roleArn,
                    RoleSessionName = _options.SessionName,
                    ExternalId = _options.ExternalId,
                    DurationSeconds = duration,
                }).ConfigureAwait(false);
                credentials = response.Credentials;
            }
            var result = ToAssumed(credentials);
            AwsLog.AssumedRole(logger, accountId, result.Expiration);
            return result;
        }
        catch (Exception ex)
        {
            AwsLog.AssumeRoleFailed(logger, accountId, ex);
            telemetry?.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "sts"));
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
        var utc = expiration.Kind switch
        {
            DateTimeKind.Utc => expiration,
            DateTimeKind.Local => expiration.ToUniversalTime(),
            _ => DateTime.SpecifyKind(expiration, DateTimeKind.Utc),
        };
        return new AssumedRoleCredentials(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
            new DateTimeOffset(utc));
    }

    private sealed class Entry
    {
        public AssumedRoleCredentials? Current;
        public DateTimeOffset RefreshAt;
        public Task<AssumedRoleCredentials>? InFlight;
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
