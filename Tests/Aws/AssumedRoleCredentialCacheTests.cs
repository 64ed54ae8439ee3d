using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Telemetry;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Aws;

public sealed class AssumedRoleCredentialCacheTests : IDisposable
{
    private readonly BridgeTelemetry _telemetry = new();
    private readonly MetricRecorder _metrics;

    public AssumedRoleCredentialCacheTests() => _metrics = new MetricRecorder(_telemetry.Meter);

    public void Dispose()
    {
        _metrics.Dispose();
        _telemetry.Dispose();
    }

    /// <summary>STS calls for an account, as the <c>sgbridge.sts.calls</c> metric counts them.</summary>
    private long StsCalls(string accountId) => (long)_metrics.Sum("sgbridge.sts.calls", (TelemetryTags.Account, accountId));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly StaticTokenSource _tokens = new();

    private (AssumedRoleCredentialCache Cache, CountingStsClient Sts) Create(AwsOptions? options = null)
    {
        var sts = new CountingStsClient(_time);
        var cache = new AssumedRoleCredentialCache(sts, _tokens, MsOptions.Create(options ?? TestAwsOptions.Create()), _time, NullLogger<AssumedRoleCredentialCache>.Instance, _telemetry);
        return (cache, sts);
    }

    [Fact]
    public async Task GetAsync_WebIdentity_SendsRoleSessionTokenAndDuration()
    {
        var (cache, sts) = Create();

        var credentials = await cache.GetAsync("111111111111", CancellationToken.None);

        var request = Assert.IsType<AssumeRoleWithWebIdentityRequest>(Assert.Single(sts.Requests));
        Assert.Equal("arn:aws:iam::111111111111:role/SgBridgeExecutionRole", request.RoleArn);
        Assert.Equal("sgbridge", request.RoleSessionName);
        Assert.Equal("entra-token-for-tests", request.WebIdentityToken);
        Assert.Equal(3600, request.DurationSeconds);
        Assert.Equal("ASIATEST0001", credentials.Credentials.AccessKey);
        Assert.Equal(_time.GetUtcNow().AddHours(1), credentials.Expiration);
    }

    [Fact]
    public async Task GetAsync_AssumeRole_SendsExternalId()
    {
        var (cache, sts) = Create(TestAwsOptions.Create(mode: AwsAuthMode.AssumeRole));

        await cache.GetAsync("222222222222", CancellationToken.None);

        var request = Assert.IsType<AssumeRoleRequest>(Assert.Single(sts.Requests));
        Assert.Equal("arn:aws:iam::222222222222:role/SgBridgeExecutionRole", request.RoleArn);
        Assert.Equal("ext-123", request.ExternalId);
        Assert.Equal("sgbridge", request.RoleSessionName);
        Assert.Equal(0, _tokens.Calls);
    }

    [Fact]
    public async Task GetAsync_ReturnsCachedCredentials_UntilRefreshMarginBeforeExpiry()
    {
        var (cache, sts) = Create();
        var first = await cache.GetAsync("111111111111", CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(54) + TimeSpan.FromSeconds(59));
        var second = await cache.GetAsync("111111111111", CancellationToken.None);
        Assert.Same(first, second);
        Assert.Equal(1, StsCalls("111111111111"));

        _time.Advance(TimeSpan.FromSeconds(1)); // now = expiry - 5 min (the refresh margin)
        var third = await cache.GetAsync("111111111111", CancellationToken.None);
        Assert.NotSame(first, third);
        Assert.Equal(2, StsCalls("111111111111"));
        Assert.Equal(2, sts.Calls);
    }

    [Fact]
    public async Task GetAsync_FiftyParallelCallers_ShareOneStsCall()
    {
        var (cache, sts) = Create();
        sts.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => cache.GetAsync("333333333333", CancellationToken.None)))
            .ToArray();
        await Task.Delay(50);
        sts.Gate.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, sts.Calls);
        Assert.Equal(1, StsCalls("333333333333"));
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public async Task GetAsync_AccountsAreCachedSeparately()
    {
        var (cache, _) = Create();

        await cache.GetAsync("111111111111", CancellationToken.None);
        await cache.GetAsync("222222222222", CancellationToken.None);
        await cache.GetAsync("111111111111", CancellationToken.None);

        Assert.Equal(1, StsCalls("111111111111"));
        Assert.Equal(1, StsCalls("222222222222"));
        Assert.Equal(0, StsCalls("999999999999"));
    }

    [Fact]
    public async Task GetAsync_FailureIsNotCached_NextCallerRetries()
    {
        var (cache, sts) = Create();
        sts.FailNext = new InvalidOperationException("sts down");

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("111111111111", CancellationToken.None));
        var credentials = await cache.GetAsync("111111111111", CancellationToken.None);

        Assert.Equal(2, sts.Calls);
        Assert.Equal("ASIATEST0002", credentials.Credentials.AccessKey);
    }

    [Fact]
    public async Task GetAsync_CancelledCaller_DoesNotCancelTheSharedCall()
    {
        var (cache, sts) = Create();
        sts.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        var cancelled = cache.GetAsync("111111111111", cts.Token);
        var patient = cache.GetAsync("111111111111", CancellationToken.None);
        await cts.CancelAsync();
        sts.Gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("ASIATEST0001", (await patient).Credentials.AccessKey);
        Assert.Equal(1, sts.Calls);
    }

    [Fact]
    public async Task GetAsync_CredentialsArrivingInsideTheMargin_AreKeptForHalfTheirRemainingLifetime()
    {
        var (cache, sts) = Create();
        sts.Lifetime = TimeSpan.FromMinutes(4); // e.g. clock skew: less than twice the 5 minute margin left

        var first = await cache.GetAsync("111111111111", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(59));
        Assert.Same(first, await cache.GetAsync("111111111111", CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotSame(first, await cache.GetAsync("111111111111", CancellationToken.None));

        Assert.Equal(2, sts.Calls);
    }
}
