using System.Collections.Frozen;

namespace SgBridge.Shared.Aws;

/// <summary>Plain-language reasons for EC2 error codes, for outcomes and Slack messages.</summary>
public static class Ec2ErrorText
{
    /// <summary>The AWS error code of a failure (the exception's type name when AWS did not answer).</summary>
    public static string CodeOf(Exception exception) =>
        exception is AwsServiceException { ErrorCode: { Length: > 0 } code } ? code : exception.GetType().Name;

    /// <summary>Codes a retry cannot fix when EC2 answers with them (4xx), apart from the transient ones below.</summary>
    private static readonly FrozenDictionary<string, string> Reasons = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["InvalidPermission.Duplicate"] = "The rule already exists in the security group.",
        ["InvalidPermission.NotFound"] = "The rule does not exist in the security group (it may already have been removed or changed).",
        ["InvalidPermission.Malformed"] = "The rule is malformed (protocol, ports or source are not valid together).",
        ["InvalidGroup.NotFound"] = "The security group does not exist (it may have been deleted).",
        ["InvalidGroupId.Malformed"] = "The security group id is malformed.",
        ["InvalidGroup.Reserved"] = "The security group name is reserved.",
        ["InvalidSecurityGroupRuleId.NotFound"] = "The security group rule id does not exist (the rule may have been removed).",
        ["InvalidSecurityGroupRuleId.Malformed"] = "The security group rule id is malformed.",
        ["RulesPerSecurityGroupLimitExceeded"] = "The security group already holds the maximum number of rules.",
        ["SecurityGroupLimitExceeded"] = "The account has reached its security group limit.",
        ["InvalidParameterValue"] = "EC2 rejected a parameter value of the call.",
        ["InvalidParameterCombination"] = "EC2 rejected the combination of parameters in the call.",
        ["InvalidParameter"] = "EC2 rejected a parameter of the call.",
        ["MissingParameter"] = "The call lacked a required parameter.",
        ["InvalidPrefixListId.NotFound"] = "The prefix list does not exist.",
        ["InvalidPrefixListID.NotFound"] = "The prefix list does not exist.",
        ["InvalidVpcID.NotFound"] = "The VPC does not exist.",
        ["UnauthorizedOperation"] = "The bridge's role is not allowed to make this call (check the member role's IAM policy).",
        ["OperationNotPermitted"] = "EC2 does not permit this operation on the group.",
        ["UnknownIpPermissions"] = "EC2 did not find some of the rules to revoke (default VPC); those rules were not revoked.",
        ["RevokeReturnedFalse"] = "EC2 answered the revoke with return=false: nothing was revoked.",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Codes that say "try again later": rethrown so the queue retries.</summary>
    private static readonly FrozenSet<string> Transient = new[]
    {
        "RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled", "ServiceUnavailable",
        "Unavailable", "InternalError", "InternalFailure", "RequestExpired", "ExpiredToken", "RequestTimeout",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>A readable reason for an EC2 error code (CloudTrail's "Client." prefix is accepted).</summary>
    public static string Explain(string? code)
    {
        var c = Normalise(code);
        if (c.Length == 0) return "EC2 rejected the call.";
        if (Reasons.TryGetValue(c, out var reason)) return reason;
        if (Transient.Contains(c)) return "EC2 was busy or unavailable; the call will be retried.";
        return $"EC2 rejected the call ({c}).";
    }

    /// <summary>True for errors that retrying will not fix: any 4xx code that is not throttling or an expired request.</summary>
    public static bool IsPermanent(string? code, int httpStatus) =>
        httpStatus is >= 400 and < 500 && !Transient.Contains(Normalise(code));

    /// <summary>Strips the "Client."/"Server." prefix CloudTrail records put on EC2 codes.</summary>
    public static string Normalise(string? code)
    {
        var c = (code ?? "").Trim();
        var prefixed = c.StartsWith("Client.", StringComparison.Ordinal) || c.StartsWith("Server.", StringComparison.Ordinal);
        return prefixed ? c["Client.".Length..] : c;
    }
}
