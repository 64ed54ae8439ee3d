using SgBridge.Shared.Domain;

namespace SgBridge.Tests.Fakes;

/// <summary>Small builders for domain values used across tests.</summary>
public static class TestData
{
    public const string Account = "111111111111";
    public const string Region = "eu-west-1";
    public const string GroupId = "sg-0123456789abcdef0";

    public static Requester SsoUser(string email = "alice@example.com") => new(
        PrincipalType.IdentityCenterUser,
        $"arn:aws:sts::{Account}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/{email}",
        Account, "AROAEXAMPLE:" + email, null, email,
        $"arn:aws:iam::{Account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
        "203.0.113.10", "console.amazonaws.com", null);

    public static Requester AssumedRole(string roleArn, string session = "session") => new(
        PrincipalType.AssumedRole,
        $"arn:aws:sts::{Account}:assumed-role/{roleArn[(roleArn.LastIndexOf('/') + 1)..]}/{session}",
        Account, "AROAEXAMPLE:" + session, null, session, roleArn, "198.51.100.7", "aws-sdk-dotnet", null);

    public static Requester IamUser(string name = "bob") => new(
        PrincipalType.IamUser, $"arn:aws:iam::{Account}:user/{name}", Account, "AIDAEXAMPLE", name, null, null, "198.51.100.8", "aws-cli/2", null);

    public static SecurityGroupRule Tcp(int port, string cidr, string? description = null, string? ruleId = null) =>
        new("tcp", port, port, RuleSource.Ipv4(cidr), description, ruleId);

    public static SecurityGroupChange Change(ChangeKind kind, string eventId = "11111111-2222-3333-4444-555555555555", Requester? requester = null) => new()
    {
        EventId = eventId,
        EventName = kind switch
        {
            ChangeKind.Add => "AuthorizeSecurityGroupIngress",
            ChangeKind.Remove => "RevokeSecurityGroupIngress",
            _ => "ModifySecurityGroupRules",
        },
        EventTime = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero),
        AccountId = Account,
        Region = Region,
        GroupId = GroupId,
        Kind = kind,
        Requester = requester ?? SsoUser(),
    };
}
