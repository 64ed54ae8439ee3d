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
        var issuer = identity.GetObject("sessionContext")?.GetObject("sessionIssuer");
        var issuerArn = issuer?.Str("arn");
        string? userName = null;
        string? sessionName = null;

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
        switch (principalType)
        {
            case PrincipalType.IamUser:
                userName = identity.Str("userName") ?? LastSegment(arn);
                break;
            case PrincipalType.AssumedRole:
                // arn:aws:sts::111111111111:assumed-role/RoleName/session-name
                sessionName = arn is not null && arn.Contains(":assumed-role/", StringComparison.Ordinal) ? LastSegment(arn) : null;
                if (issuerArn?.Contains(IdentityCenterRolePath, StringComparison.Ordinal) == true) principalType = PrincipalType.IdentityCenterUser;
                break;
            case PrincipalType.FederatedUser:
                // arn:aws:sts::111111111111:federated-user/name
                userName = LastSegment(arn);
                break;
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
