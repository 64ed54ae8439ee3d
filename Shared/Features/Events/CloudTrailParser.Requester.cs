using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Events;

public static partial class CloudTrailParser
{
    private const string IdentityCenterRolePath = ":role/aws-reserved/sso.amazonaws.com/";

    /// <summary>Who made the call, from <c>userIdentity</c>, <c>sourceIPAddress</c> and <c>userAgent</c>.</summary>
    private static Requester ParseRequester(JsonField record)
    {
        var identity = record.RequireObject("userIdentity");
        var type = identity.Str("type");
        var arn = identity.Str("arn");
        var issuerArn = identity.GetObject("sessionContext")?.GetObject("sessionIssuer")?.Str("arn");
        var principalType = type switch
        {
            "IAMUser" => PrincipalType.IamUser,
            "AssumedRole" => PrincipalType.AssumedRole,
            "Root" => PrincipalType.Root,
            "FederatedUser" => PrincipalType.FederatedUser,
            "AWSService" => PrincipalType.AwsService,
            "AWSAccount" => PrincipalType.AwsAccount,
            "IdentityCenterUser" => PrincipalType.IdentityCenterUser,
            _ => PrincipalType.Unknown,
        };
        var userName = principalType switch
        {
            PrincipalType.IamUser => identity.Str("userName") ?? LastSegment(arn),
            PrincipalType.FederatedUser => LastSegment(arn), // arn:aws:sts::111111111111:federated-user/name
            _ => null,
        };
        // arn:aws:sts::111111111111:assumed-role/RoleName/session-name
        var assumed = principalType == PrincipalType.AssumedRole;
        var sessionName = assumed && arn is not null && arn.Contains(":assumed-role/", StringComparison.Ordinal) ? LastSegment(arn) : null;
        if (assumed && issuerArn?.Contains(IdentityCenterRolePath, StringComparison.Ordinal) == true)
        {
            principalType = PrincipalType.IdentityCenterUser;
        }

        return new Requester(
            principalType,
            arn,
            identity.Str("accountId"),
            identity.Str("principalId"),
            userName,
            sessionName,
            issuerArn,
            record.Str("sourceIPAddress"),
            record.Str("userAgent"),
            identity.Str("invokedBy"));
    }

    private static string? LastSegment(string? arn)
    {
        if (arn is null) return null;
        var i = arn.LastIndexOf('/');
        return i >= 0 && i < arn.Length - 1 ? arn[(i + 1)..] : null;
    }
}
