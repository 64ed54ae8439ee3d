namespace SgBridge.Shared.Aws;

/// <summary>STS refused the bridge's role in an account (AccessDenied): permanent until someone deploys or fixes the member role.</summary>
public sealed class RoleNotAssumableException(string accountId, string roleArn, Exception inner)
    : Exception($"Role {roleArn} cannot be assumed in account {accountId}: the member role is not deployed there, or its trust policy does not admit the bridge (STS: {inner.Message}).", inner)
{
    public string AccountId { get; } = accountId;

    public string RoleArn { get; } = roleArn;
}
