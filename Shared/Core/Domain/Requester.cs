namespace SgBridge.Shared.Domain;

public enum PrincipalType
{
    Unknown,
    IamUser,
    AssumedRole,
    Root,
    FederatedUser,
    AwsService,
    IdentityCenterUser,
    AwsAccount,
    /// <summary>A Slack user who asked for a change through the bridge's Slack modal (no AWS identity).</summary>
    SlackUser,
}

/// <summary>
/// Who made the call, from CloudTrail's userIdentity. <see cref="Arn"/> is the caller's ARN
/// (for an assumed role, the sts assumed-role ARN); <see cref="IssuerArn"/> is the IAM role or user behind a session.
/// </summary>
public sealed record Requester(
    PrincipalType Type,
    string? Arn,
    string? AccountId,
    string? PrincipalId,
    string? UserName,
    string? SessionName,
    string? IssuerArn,
    string? SourceIp,
    string? UserAgent,
    string? InvokedBy)
{
    /// <summary>The Slack user who asked for the change, when it was requested in Slack (<see cref="PrincipalType.SlackUser"/>).</summary>
    public string? SlackUserId { get; init; }

    /// <summary>The IAM identity that policy decisions look at: the role behind a session, else the caller's ARN.</summary>
    public string? PolicyArn => IssuerArn ?? Arn;

    /// <summary>A short display name: "alice@example.com via AWSReservedSSO_Admin", "deploy-user", "root".</summary>
    public string DisplayName => Type switch
    {
        PrincipalType.Root => $"root ({AccountId})",
        PrincipalType.AssumedRole or PrincipalType.IdentityCenterUser when SessionName is not null && IssuerArn is not null =>
            $"{SessionName} via {RoleName(IssuerArn)}",
        PrincipalType.AwsService => InvokedBy ?? Arn ?? "AWS service",
        _ => UserName ?? SessionName ?? Arn ?? PrincipalId ?? "unknown",
    };

    /// <summary>An e-mail address the requester can be matched by (SSO session names usually are), if any.</summary>
    public string? Email =>
        SessionName is { } s && s.Contains('@', StringComparison.Ordinal) ? s
        : UserName is { } u && u.Contains('@', StringComparison.Ordinal) ? u
        : null;

    /// <summary>True for the service-linked roles AWS services use (role path /aws-service-role/).</summary>
    public bool IsServiceLinkedRole => PolicyArn?.Contains(":role/aws-service-role/", StringComparison.Ordinal) == true;

    private static string RoleName(string arn)
    {
        var i = arn.LastIndexOf('/');
        return i >= 0 ? arn[(i + 1)..] : arn;
    }
}
