using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Events;

/// <summary>Shapes and quirks of CloudTrail records that the samples do not each show on their own.</summary>
public sealed partial class CloudTrailParserTests
{
    private static JsonObject Permission(JsonObject root, int index = 0) =>
        Parameters(root)["ipPermissions"]!["items"]![index]!.AsObject();

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"items":[]}""")]
    public void Parse_EmptyCollectionsWrittenEitherWay_AddNoRules(string empty)
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
        {
            Detail(root)["responseElements"] = null;
            var permission = Permission(root);
            permission["ipRanges"] = JsonNode.Parse(empty);
            permission["ipv6Ranges"] = JsonNode.Parse("""{"items":[{"cidrIpv6":"2001:db8::/64"}]}""");
            permission["groups"] = JsonNode.Parse(empty);
        });

        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv6("2001:db8::/64"))], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_CollectionsWrittenAsBareArrays_AreAccepted()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
        {
            Detail(root)["responseElements"] = null;
            Parameters(root)["ipPermissions"] = JsonNode.Parse("""[{"ipProtocol":"udp","fromPort":500,"toPort":500,"ipRanges":[{"cidrIp":"192.0.2.1/32"}]}]""");
        });

        Assert.Equal([new SecurityGroupRule("udp", 500, 500, RuleSource.Ipv4("192.0.2.1/32"))], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_NumbersWrittenAsStrings_AreRead()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
        {
            var permission = Permission(root);
            permission["fromPort"] = " 22 ";
            permission["toPort"] = "22";
            var created = Detail(root)["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!.AsObject();
            created["fromPort"] = "22";
            created["toPort"] = "22";
            created["isEgress"] = "false";
        });

        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "temporary ssh", "sgr-0a1b2c3d4e5f60001")], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_NullResponseElementsOnASuccessfulAuthorize_UsesTheRequestedRulesWithoutIds()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root => Detail(root)["responseElements"] = null);

        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "temporary ssh")], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_ResponseRuleWithoutDescription_KeepsTheDescriptionFromTheRequest()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
            Detail(root)["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!.AsObject().Remove("description"));

        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "temporary ssh", "sgr-0a1b2c3d4e5f60001")], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_ResponseWithTheReturnFlagAsAString_IsASuccess()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root => Detail(root)["responseElements"]!["_return"] = "true");

        Assert.Single(ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_LegacyFlatFormWithSourceGroup_IsAReferencedGroupRuleForAllTraffic()
    {
        var json = Mutate("authorize-legacy-flat.json", root =>
        {
            var parameters = Parameters(root);
            foreach (var key in (string[])["ipProtocol", "fromPort", "toPort", "cidrIp"]) parameters.Remove(key);
            parameters["sourceSecurityGroupName"] = "web";
            parameters["sourceSecurityGroupOwnerId"] = OtherAccount;
        });

        Assert.Equal([new SecurityGroupRule("-1", null, null, RuleSource.Group("web", OtherAccount))], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_SourceGroupNamedButNotIdentified_UsesTheName()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
        {
            Detail(root)["responseElements"] = null;
            Permission(root)["ipRanges"] = new JsonObject();
            Permission(root)["groups"] = JsonNode.Parse("""{"items":[{"groupName":"bastion","userId":"111111111111","description":"from bastion"}]}""");
        });

        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Group("bastion", Account), "from bastion")], ParseOk(json).Rules);
    }

    [Fact]
    public void Parse_GroupIdInTheRequest_WinsOverTheResponse()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root => Parameters(root)["groupId"] = "sg-0000000000000000a");

        Assert.Equal("sg-0000000000000000a", ParseOk(json).GroupId);
    }

    [Fact]
    public void Parse_RevokeByPropertiesAndByIds_KeepsBoth()
    {
        var json = Mutate("revoke-by-permissions.json", root =>
            Parameters(root)["securityGroupRuleIds"] = JsonNode.Parse("""{"items":[{"securityGroupRuleId":"sgr-0a1b2c3d4e5f69999"}]}"""));

        var change = ParseOk(json);

        Assert.Equal(3, change.Rules.Count);
        Assert.Equal(["sgr-0a1b2c3d4e5f69999"], change.RuleIds);
    }

    [Fact]
    public void Parse_RevokeWithEmptyRevokedRuleSet_FallsBackToTheRequestedPermissions()
    {
        var json = Mutate("revoke-by-permissions.json", root =>
            Detail(root)["responseElements"]!["revokedSecurityGroupRuleSet"] = new JsonObject());

        Assert.Equal(3, ParseOk(json).Rules.Count);
    }

    [Fact]
    public void Parse_ModifyWithCamelCaseKeys_IsReadLikePascalCase()
    {
        var pascal = ParseSample("modify-several-rules.json");
        var json = Mutate("modify-several-rules.json", root =>
        {
            var text = Parameters(root).ToJsonString()
                .Replace("ModifySecurityGroupRulesRequest", "modifySecurityGroupRulesRequest", StringComparison.Ordinal)
                .Replace("\"GroupId\"", "\"groupId\"", StringComparison.Ordinal)
                .Replace("\"SecurityGroupRule", "\"securityGroupRule", StringComparison.Ordinal)
                .Replace("\"IpProtocol\"", "\"ipProtocol\"", StringComparison.Ordinal)
                .Replace("\"FromPort\"", "\"fromPort\"", StringComparison.Ordinal)
                .Replace("\"ToPort\"", "\"toPort\"", StringComparison.Ordinal)
                .Replace("\"Cidr", "\"cidr", StringComparison.Ordinal)
                .Replace("\"ReferencedGroupId\"", "\"referencedGroupId\"", StringComparison.Ordinal)
                .Replace("\"PrefixListId\"", "\"prefixListId\"", StringComparison.Ordinal)
                .Replace("\"Description\"", "\"description\"", StringComparison.Ordinal);
            Assert.DoesNotContain("\"GroupId\"", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"IpProtocol\"", text, StringComparison.Ordinal);
            Detail(root)["requestParameters"] = JsonNode.Parse(text);
        });

        Assert.Equal(pascal.Modifications, ParseOk(json).Modifications);
    }

    [Fact]
    public void Parse_ModifyWithoutTheRequestWrapper_ReadsTheParametersDirectly()
    {
        var json = Mutate("modify-one-rule.json", root =>
            Detail(root)["requestParameters"] = Parameters(root)["ModifySecurityGroupRulesRequest"]!.DeepClone());

        Assert.Equal(ParseSample("modify-one-rule.json").Modifications, ParseOk(json).Modifications);
    }

    [Fact]
    public void Parse_ModifyWithTheRulesUnderItems_IsReadLikeAList()
    {
        var several = ParseSample("modify-several-rules.json");
        var json = Mutate("modify-several-rules.json", root =>
        {
            var request = Parameters(root)["ModifySecurityGroupRulesRequest"]!.AsObject();
            request["SecurityGroupRule"] = new JsonObject { ["items"] = request["SecurityGroupRule"]!.DeepClone() };
        });

        Assert.Equal(several.Modifications, ParseOk(json).Modifications);
    }

    [Fact]
    public void Parse_RegionAndAccountMissingFromTheRecord_FallBackToTheEnvelope()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root =>
        {
            Detail(root).Remove("recipientAccountId");
            Detail(root).Remove("awsRegion");
            root["region"] = "ap-southeast-2";
        });

        var change = ParseOk(json);

        Assert.Equal(Account, change.AccountId);
        Assert.Equal("ap-southeast-2", change.Region);
    }

    [Fact]
    public void Parse_EventTimeWithFractionAndOffset_IsNormalisedToUtc()
    {
        var json = Mutate("authorize-ssh-from-internet.json", root => Detail(root)["eventTime"] = "2025-03-14T11:26:53.250+02:00");

        var time = ParseOk(json).EventTime;

        Assert.Equal(new DateTimeOffset(2025, 3, 14, 9, 26, 53, 250, TimeSpan.Zero), time);
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Fact]
    public void Parse_Utf8WithByteOrderMark_IsAccepted()
    {
        var bytes = "\uFEFF"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(Sample("authorize-ssh-from-internet.json"))).ToArray();

        Assert.True(CloudTrailParser.Parse(bytes).IsSuccess);
    }

    // --- requesters not covered by a sample -----------------------------------------------------

    [Fact]
    public void Parse_FederatedUser_TakesTheNameFromTheArnAndTheIssuingUser()
    {
        var json = WithIdentity("""
            {"type":"FederatedUser","principalId":"111111111111:carol","arn":"arn:aws:sts::111111111111:federated-user/carol","accountId":"111111111111",
             "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER00002","arn":"arn:aws:iam::111111111111:user/broker","accountId":"111111111111","userName":"broker"}}}
            """);

        var requester = ParseOk(json).Requester;

        Assert.Equal(PrincipalType.FederatedUser, requester.Type);
        Assert.Equal("carol", requester.UserName);
        Assert.Null(requester.SessionName);
        Assert.Equal("arn:aws:sts::111111111111:federated-user/carol", requester.Arn);
        Assert.Equal("arn:aws:iam::111111111111:user/broker", requester.IssuerArn);
        Assert.Equal("111111111111:carol", requester.PrincipalId);
    }

    [Fact]
    public void Parse_AwsService_IsIdentifiedByInvokedBy()
    {
        var json = WithIdentity("""{"type":"AWSService","invokedBy":"elasticloadbalancing.amazonaws.com"}""");

        var requester = ParseOk(json).Requester;

        Assert.Equal(new Requester(PrincipalType.AwsService, null, null, null, null, null, null, "198.51.100.23", "AWS Internal", "elasticloadbalancing.amazonaws.com"), requester);
        Assert.Equal("elasticloadbalancing.amazonaws.com", requester.DisplayName);
    }

    [Fact]
    public void Parse_AwsAccount_KeepsTheCallingAccount()
    {
        var json = WithIdentity("""{"type":"AWSAccount","principalId":"AIDAEXAMPLEUSER00003","accountId":"222222222222"}""");

        var requester = ParseOk(json).Requester;

        Assert.Equal(PrincipalType.AwsAccount, requester.Type);
        Assert.Equal(OtherAccount, requester.AccountId);
        Assert.Equal("AIDAEXAMPLEUSER00003", requester.PrincipalId);
    }

    [Fact]
    public void Parse_UnknownIdentityType_IsUnknownButStillAChange()
    {
        var json = WithIdentity("""{"type":"SAMLUser","principalId":"someone","userName":"someone@example.com"}""");

        Assert.Equal(PrincipalType.Unknown, ParseOk(json).Requester.Type);
    }

    [Fact]
    public void Parse_AssumedRoleOutsideIdentityCenter_StaysAnAssumedRole()
    {
        var json = WithIdentity("""
            {"type":"AssumedRole","principalId":"AROAEXAMPLE:dave@example.com","arn":"arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Lookalike/dave@example.com","accountId":"111111111111",
             "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111111111111:role/AWSReservedSSO_Lookalike"}}}
            """);

        var requester = ParseOk(json).Requester;

        Assert.Equal(PrincipalType.AssumedRole, requester.Type);
        Assert.Equal("dave@example.com", requester.SessionName);
        Assert.Equal("dave@example.com", requester.Email);
    }

    private static string WithIdentity(string identity) =>
        Mutate("authorize-ssh-from-internet.json", root => Detail(root)["userIdentity"] = JsonNode.Parse(identity));
}
