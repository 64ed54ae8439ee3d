using System.Text.Json.Nodes;

namespace SgBridge.Tests.EndToEnd;

/// <summary>EventBridge events of the shapes CloudTrail records (see samples/), for the test's own account and groups.</summary>
public static class Events
{
    /// <summary>CloudTrail's eventTime: when the change was made (whole seconds, UTC).</summary>
    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JsonObject Sso(string account, string email = "alice@example.com") => new()
    {
        ["type"] = "AssumedRole",
        ["principalId"] = "AROAEXAMPLESSOROLE01:" + email,
        ["arn"] = $"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/{email}",
        ["accountId"] = account,
        ["sessionContext"] = new JsonObject
        {
            ["sessionIssuer"] = new JsonObject
            {
                ["type"] = "Role",
                ["arn"] = $"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                ["accountId"] = account,
                ["userName"] = "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
            },
        },
    };

    /// <summary>A session of an IAM role (e.g. a deployment pipeline's).</summary>
    public static JsonObject Role(string account, string roleArn, string session = "pipeline-run") => new()
    {
        ["type"] = "AssumedRole",
        ["principalId"] = "AROAEXAMPLEROLE0001:" + session,
        ["arn"] = $"arn:aws:sts::{account}:assumed-role/{roleArn[(roleArn.LastIndexOf('/') + 1)..]}/{session}",
        ["accountId"] = account,
        ["sessionContext"] = new JsonObject
        {
            ["sessionIssuer"] = new JsonObject { ["type"] = "Role", ["arn"] = roleArn, ["accountId"] = account },
        },
    };

    public static JsonObject Bridge(string account) => new()
    {
        ["type"] = "AssumedRole",
        ["principalId"] = "AROAEXAMPLEBRIDGE01:sgbridge",
        ["arn"] = $"arn:aws:sts::{account}:assumed-role/SgBridgeExecutionRole/sgbridge",
        ["accountId"] = account,
        ["sessionContext"] = new JsonObject
        {
            ["sessionIssuer"] = new JsonObject { ["type"] = "Role", ["arn"] = $"arn:aws:iam::{account}:role/SgBridgeExecutionRole", ["accountId"] = account },
        },
    };

    public static JsonObject Envelope(string account, string region, string eventName, JsonObject identity, JsonObject request, JsonObject? response, string? eventId = null)
    {
        var id = eventId ?? Guid.NewGuid().ToString();
        return new JsonObject
        {
            ["version"] = "0",
            ["id"] = Guid.NewGuid().ToString(),
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws.ec2",
            ["account"] = account,
            ["time"] = Now(),
            ["region"] = region,
            ["resources"] = new JsonArray(),
            ["detail"] = new JsonObject
            {
                ["eventVersion"] = "1.09",
                ["userIdentity"] = identity,
                ["eventTime"] = Now(),
                ["eventSource"] = "ec2.amazonaws.com",
                ["eventName"] = eventName,
                ["awsRegion"] = region,
                ["sourceIPAddress"] = "198.51.100.23",
                ["userAgent"] = "AWS Internal",
                ["requestParameters"] = request,
                ["responseElements"] = response,
                ["eventID"] = id,
                ["eventType"] = "AwsApiCall",
                ["recipientAccountId"] = account,
            },
        };
    }

    /// <summary>AuthorizeSecurityGroupIngress of one IPv4 rule, with the rule id EC2 answered.</summary>
    public static JsonObject Authorize(string account, string region, JsonObject identity, string groupId, int port, string cidr, string description, string ruleId, string? eventId = null) =>
        Envelope(account, region, "AuthorizeSecurityGroupIngress", identity,
            new JsonObject
            {
                ["groupId"] = groupId,
                ["ipPermissions"] = new JsonObject
                {
                    ["items"] = new JsonArray(new JsonObject
                    {
                        ["ipProtocol"] = "tcp",
                        ["fromPort"] = port,
                        ["toPort"] = port,
                        ["groups"] = new JsonObject(),
                        ["ipRanges"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["cidrIp"] = cidr, ["description"] = description }) },
                        ["ipv6Ranges"] = new JsonObject(),
                        ["prefixListIds"] = new JsonObject(),
                    }),
                },
            },
            new JsonObject
            {
                ["requestId"] = Guid.NewGuid().ToString(),
                ["_return"] = true,
                ["securityGroupRuleSet"] = new JsonObject
                {
                    ["items"] = new JsonArray(new JsonObject
                    {
                        ["groupOwnerId"] = account,
                        ["groupId"] = groupId,
                        ["securityGroupRuleId"] = ruleId,
                        ["isEgress"] = false,
                        ["ipProtocol"] = "tcp",
                        ["fromPort"] = port,
                        ["toPort"] = port,
                        ["cidrIpv4"] = cidr,
                        ["description"] = description,
                    }),
                },
            },
            eventId);

    /// <summary>RevokeSecurityGroupIngress by rule id (the console's delete): the content is not in the event.</summary>
    public static JsonObject RevokeByIds(string account, string region, JsonObject identity, string groupId, params string[] ruleIds) =>
        Envelope(account, region, "RevokeSecurityGroupIngress", identity,
            new JsonObject
            {
                ["groupId"] = groupId,
                ["securityGroupRuleIds"] = new JsonObject { ["items"] = new JsonArray(ruleIds.Select(id => (JsonNode)new JsonObject { ["securityGroupRuleId"] = id }).ToArray()) },
            },
            new JsonObject { ["requestId"] = Guid.NewGuid().ToString(), ["_return"] = true });

    /// <summary>ModifySecurityGroupRules of one rule (PascalCase, as CloudTrail records it).</summary>
    public static JsonObject Modify(string account, string region, JsonObject identity, string groupId, string ruleId, int port, string cidr, string description) =>
        Envelope(account, region, "ModifySecurityGroupRules", identity,
            new JsonObject
            {
                ["ModifySecurityGroupRulesRequest"] = new JsonObject
                {
                    ["GroupId"] = groupId,
                    ["SecurityGroupRule"] = new JsonObject
                    {
                        ["SecurityGroupRuleId"] = ruleId,
                        ["SecurityGroupRule"] = new JsonObject
                        {
                            ["IpProtocol"] = "tcp",
                            ["FromPort"] = port,
                            ["ToPort"] = port,
                            ["CidrIpv4"] = cidr,
                            ["Description"] = description,
                        },
                        ["tag"] = 1,
                    },
                },
            },
            new JsonObject { ["ModifySecurityGroupRulesResponse"] = new JsonObject { ["requestId"] = Guid.NewGuid().ToString(), ["return"] = true } });
}
