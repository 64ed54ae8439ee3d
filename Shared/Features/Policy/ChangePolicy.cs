using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

public enum Verdict
{
    /// <summary>Revert now and ask an approver.</summary>
    Police,
    /// <summary>Record, do not revert (exemption list, service-linked roles).</summary>
    Exempt,
    /// <summary>The bridge's own change (a revert or an approved apply): never reverted, never recorded again.</summary>
    BridgeOwn,
}

public sealed record PolicyVerdict(Verdict Verdict, string Reason);

/// <summary>Decides who is policed, from the principal's ARN (never from its type): everyone but the bridge's own role in that
/// account and the configured exemptions.</summary>
public sealed class ChangePolicy(IOptions<PolicyOptions> policy, IOptions<AwsOptions> aws)
{
    private readonly PolicyOptions _policy = policy.Value;
    private readonly AwsOptions _aws = aws.Value;
    private readonly IReadOnlyList<string> _exemptions = policy.Value.ExemptPrincipalPatterns;

    public bool IsAllowedAccount(string accountId) => _policy.AllowsAccount(accountId);

    public PolicyVerdict Evaluate(SecurityGroupChange change)
    {
        var requester = change.Requester;
        var bridgeRole = _aws.RoleArnFor(change.AccountId);
        if (requester.IssuerArn is { } issuer && Glob.Matches(bridgeRole, issuer, ignoreCase: true))
        {
            return new PolicyVerdict(Verdict.BridgeOwn, $"made by the bridge's own role {issuer}");
        }

        foreach (var (pattern, arn) in _exemptions.SelectMany(_ => new[] { requester.IssuerArn, requester.Arn }.OfType<string>(), (p, arn) => (p, arn)))
        {
            if (Glob.Matches(pattern, arn, ignoreCase: true))
            {
                return new PolicyVerdict(Verdict.Exempt, $"{arn} matches the exemption {pattern}");
            }
        }

        if (_policy.ExemptServiceLinkedRoles && requester.IsServiceLinkedRole)
        {
            return new PolicyVerdict(Verdict.Exempt, $"{requester.PolicyArn} is a service-linked role (an AWS service managing its own groups)");
        }

        return new PolicyVerdict(Verdict.Police, $"{requester.DisplayName} ({requester.Type}) is not exempt");
    }
}
