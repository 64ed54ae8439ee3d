using Amazon;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Amazon.Runtime;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;

namespace SgBridge.Tests.Aws;

/// <summary>A web identity token source that hands out a fixed token and counts requests.</summary>
internal sealed class StaticTokenSource(string token = "entra-token-for-tests") : IWebIdentityTokenSource
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);

    public Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(token);
    }
}

/// <summary>
/// An STS client that never touches the network: it records requests and answers with credentials that expire
/// <see cref="Lifetime"/> after the fake clock's now. <see cref="Gate"/> holds answers back until released.
/// </summary>
internal sealed class CountingStsClient(TimeProvider time)
    : AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { RegionEndpoint = RegionEndpoint.USEast1 })
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);
    public TaskCompletionSource? Gate { get; set; }
    public Exception? FailNext { get; set; }
    public List<AmazonWebServiceRequest> Requests { get; } = [];

    public override Task<AssumeRoleWithWebIdentityResponse> AssumeRoleWithWebIdentityAsync(AssumeRoleWithWebIdentityRequest request, CancellationToken cancellationToken = default) =>
        AnswerAsync(request, c => new AssumeRoleWithWebIdentityResponse { Credentials = c });

    public override Task<AssumeRoleResponse> AssumeRoleAsync(AssumeRoleRequest request, CancellationToken cancellationToken = default) =>
        AnswerAsync(request, c => new AssumeRoleResponse { Credentials = c });

    private async Task<T> AnswerAsync<T>(AmazonWebServiceRequest request, Func<Credentials, T> wrap)
    {
        var n = Interlocked.Increment(ref _calls);
        lock (Requests) Requests.Add(request);
        if (Gate is { } gate) await gate.Task;
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }
        return wrap(new Credentials
        {
            AccessKeyId = $"ASIATEST{n:D4}",
            SecretAccessKey = "secret",
            SessionToken = $"session-{n}",
            Expiration = (time.GetUtcNow() + Lifetime).UtcDateTime,
        });
    }
}

internal static class TestAwsOptions
{
    public static AwsOptions Create(string? endpoint = null, AwsAuthMode mode = AwsAuthMode.WebIdentity) => new()
    {
        RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
        AuthMode = mode,
        WebIdentityAudience = "api://sgbridge-aws",
        ExternalId = mode == AwsAuthMode.AssumeRole ? "ext-123" : null,
        StsEndpoint = endpoint,
        Ec2Endpoint = endpoint,
        SessionName = "sgbridge",
        MaxErrorRetry = 2,
    };
}
