using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Aws;

/// <summary>Supplies the OIDC token presented to STS AssumeRoleWithWebIdentity.</summary>
public interface IWebIdentityTokenSource
{
    /// <summary>A fresh (or still valid) token. Callers must never log it.</summary>
    Task<string> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>
/// An Entra ID token of the Function's managed identity for <see cref="AwsOptions.WebIdentityAudience"/> (IAM trusts
/// the tenant as an OIDC provider). The audience is read on the first token, since DI builds this source in every auth mode.
/// </summary>
public sealed class EntraWebIdentityTokenSource(TokenCredential credential, IOptions<AwsOptions> options) : IWebIdentityTokenSource
{
    private readonly Lazy<TokenRequestContext> _context = new(() => new TokenRequestContext([ScopeFor(options.Value.WebIdentityAudience)]));

    /// <summary>ManagedIdentityCredential for a user-assigned identity when a client id is set, else DefaultAzureCredential.</summary>
    public static TokenCredential CreateCredential(AwsOptions options) =>
        string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));

    /// <summary>"{audience}/.default", the scope form for an application's own permissions.</summary>
    public static string ScopeFor(string? audience)
    {
        if (string.IsNullOrWhiteSpace(audience))
        {
            throw new InvalidOperationException("Aws:WebIdentityAudience is required for AuthMode WebIdentity.");
        }
        var a = audience.Trim().TrimEnd('/');
        return a.EndsWith("/.default", StringComparison.Ordinal) ? a : a + "/.default";
    }

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken) =>
        (await credential.GetTokenAsync(_context.Value, cancellationToken).ConfigureAwait(false)).Token;
}
