using System.Text;
using System.Text.Json.Nodes;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Events;

/// <summary>Every rejection kind, each with the field it names and its exact message; and no input makes the parser throw.</summary>
public sealed partial class CloudTrailParserTests
{
    private const string Req = "detail.requestParameters";
    private const string ModReq = "detail.requestParameters.ModifySecurityGroupRulesRequest";

    private sealed record RejectionCase(Func<string> Json, RejectionKind Kind, string? Field, string Message);

    private static readonly Dictionary<string, RejectionCase> RejectionCases = new()
    {
        ["envelope source is not aws.ec2"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r["source"] = "aws.s3"),
            RejectionKind.WrongSource, "source", "Field 'source' is 'aws.s3'; expected 'aws.ec2'."),
        ["envelope without source"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r.Remove("source")),
            RejectionKind.MissingField, "source", "Field 'source' is missing; an EventBridge event must come from 'aws.ec2'."),
        ["record eventSource is not EC2"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventSource"] = "s3.amazonaws.com"),
            RejectionKind.WrongSource, "detail.eventSource", "Field 'detail.eventSource' is 's3.amazonaws.com'; expected 'ec2.amazonaws.com'."),
        ["bare record eventSource is not EC2"] = new(
            () => Mutate("bare-cloudtrail-record.json", r => r["eventSource"] = "iam.amazonaws.com"),
            RejectionKind.WrongSource, "eventSource", "Field 'eventSource' is 'iam.amazonaws.com'; expected 'ec2.amazonaws.com'."),
        ["record without eventSource"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r).Remove("eventSource")),
            RejectionKind.MissingField, "detail.eventSource", "Field 'detail.eventSource' is missing; expected 'ec2.amazonaws.com'."),
        ["detail-type is not an API call"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r["detail-type"] = "AWS Console Sign In via CloudTrail"),
            RejectionKind.WrongDetailType, "detail-type", "Field 'detail-type' is 'AWS Console Sign In via CloudTrail'; expected 'AWS API Call via CloudTrail'."),
        ["unhandled event name"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventName"] = "CreateSecurityGroup"),
            RejectionKind.UnhandledEventName, "detail.eventName",
            "Field 'detail.eventName' is 'CreateSecurityGroup'; handled: AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress, ModifySecurityGroupRules, AuthorizeSecurityGroupEgress, RevokeSecurityGroupEgress."),
        ["event name differs only in case"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventName"] = "authorizesecuritygroupingress"),
            RejectionKind.UnhandledEventName, "detail.eventName",
            "Field 'detail.eventName' is 'authorizesecuritygroupingress'; handled: AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress, ModifySecurityGroupRules, AuthorizeSecurityGroupEgress, RevokeSecurityGroupEgress."),
        ["event id of 40,000 characters"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventID"] = new string('a', 40_000)),
            RejectionKind.InvalidField, "detail.eventID",
            $"Field 'detail.eventID' is invalid: '{new string('a', 64)}…' is not an event id (CloudTrail's event ids are GUIDs, e.g. 5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0002)."),
        ["event id with a table-key character"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventID"] = "abc/def"),
            RejectionKind.InvalidField, "detail.eventID",
            "Field 'detail.eventID' is invalid: 'abc/def' is not an event id (CloudTrail's event ids are GUIDs, e.g. 5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0002)."),
        ["record without eventName"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r).Remove("eventName")),
            RejectionKind.MissingField, "detail.eventName", "Field 'detail.eventName' is missing."),
        ["egress rule in the response of an ingress call"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!["isEgress"] = true),
            RejectionKind.Egress, "detail.responseElements.securityGroupRuleSet.items[0].isEgress",
            "Field 'detail.responseElements.securityGroupRuleSet.items[0].isEgress' is true but AuthorizeSecurityGroupIngress changes ingress rules."),
        ["egress rule in the revoked set of an ingress call"] = new(
            () => Mutate("revoke-with-revoked-rule-set.json", r => Detail(r)["responseElements"]!["revokedSecurityGroupRuleSet"]!["items"]![2]!["isEgress"] = "true"),
            RejectionKind.Egress, "detail.responseElements.revokedSecurityGroupRuleSet.items[2].isEgress",
            "Field 'detail.responseElements.revokedSecurityGroupRuleSet.items[2].isEgress' is true but RevokeSecurityGroupIngress changes ingress rules."),
        ["ingress rule in the response of an egress call"] = new(
            () => Mutate("authorize-egress.json", r => Detail(r)["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!["isEgress"] = false),
            RejectionKind.Egress, "detail.responseElements.securityGroupRuleSet.items[0].isEgress",
            "Field 'detail.responseElements.securityGroupRuleSet.items[0].isEgress' is false but AuthorizeSecurityGroupEgress changes egress rules."),
        ["failed call without message"] = new(
            () => Mutate("revoke-by-rule-ids.json", r => { Detail(r)["errorCode"] = "Client.UnauthorizedOperation"; Detail(r)["responseElements"] = null; }),
            RejectionKind.FailedCall, "detail.errorCode",
            "Field 'detail.errorCode' is 'Client.UnauthorizedOperation': the RevokeSecurityGroupIngress call failed and changed nothing."),
        ["return flag false"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["responseElements"]!["_return"] = false),
            RejectionKind.FailedCall, "detail.responseElements._return",
            "Field 'detail.responseElements._return' is false: the AuthorizeSecurityGroupIngress call changed nothing."),
        ["modify response return false"] = new(
            () => Mutate("modify-one-rule.json", r => Detail(r)["responseElements"]!["ModifySecurityGroupRulesResponse"]!["return"] = "false"),
            RejectionKind.FailedCall, "detail.responseElements.ModifySecurityGroupRulesResponse.return",
            "Field 'detail.responseElements.ModifySecurityGroupRulesResponse.return' is false: the ModifySecurityGroupRules call changed nothing."),
        ["revoke where every permission is unknown"] = new(
            () => Mutate("revoke-default-vpc-unknown-permissions.json", r =>
                Detail(r)["responseElements"]!["unknownIpPermissionSet"] = Parameters(r)["ipPermissions"]!.DeepClone()),
            RejectionKind.FailedCall, "detail.responseElements.unknownIpPermissionSet",
            "Field 'detail.responseElements.unknownIpPermissionSet' lists every permission of the call: the RevokeSecurityGroupIngress call revoked nothing."),
        ["no eventID"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r).Remove("eventID")),
            RejectionKind.MissingField, "detail.eventID", "Field 'detail.eventID' is missing."),
        ["blank eventID"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventID"] = "  "),
            RejectionKind.MissingField, "detail.eventID", "Field 'detail.eventID' is missing."),
        ["no eventTime"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventTime"] = null),
            RejectionKind.MissingField, "detail.eventTime", "Field 'detail.eventTime' is missing."),
        ["eventTime is not a time"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["eventTime"] = "yesterday"),
            RejectionKind.InvalidField, "detail.eventTime", "Field 'detail.eventTime' is invalid: 'yesterday' is not a timestamp (ISO 8601, e.g. 2025-03-14T10:02:11Z)."),
        ["no account anywhere"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => { Detail(r).Remove("recipientAccountId"); r.Remove("account"); }),
            RejectionKind.MissingField, "detail.recipientAccountId", "Field 'detail.recipientAccountId' is missing; the envelope has no 'account' either."),
        ["account id is not 12 digits"] = new(
            () => Mutate("bare-cloudtrail-record.json", r => r["recipientAccountId"] = "12345"),
            RejectionKind.InvalidField, "recipientAccountId", "Field 'recipientAccountId' is invalid: '12345' is not a 12-digit AWS account id."),
        ["envelope account is not 12 digits"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => { Detail(r).Remove("recipientAccountId"); r["account"] = "acme"; }),
            RejectionKind.InvalidField, "account", "Field 'account' is invalid: 'acme' is not a 12-digit AWS account id."),
        ["envelope account differs from recipientAccountId"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r["account"] = OtherAccount),
            RejectionKind.AccountMismatch, "detail.recipientAccountId",
            "Field 'detail.recipientAccountId' is 111111111111 but the envelope's 'account' is 222222222222."),
        ["no region anywhere"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => { Detail(r).Remove("awsRegion"); r.Remove("region"); }),
            RejectionKind.MissingField, "detail.awsRegion", "Field 'detail.awsRegion' is missing; the envelope has no 'region' either."),
        ["no userIdentity"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r).Remove("userIdentity")),
            RejectionKind.MissingField, "detail.userIdentity", "Field 'detail.userIdentity' is missing."),
        ["userIdentity is a string"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["userIdentity"] = "alice"),
            RejectionKind.InvalidField, "detail.userIdentity", "Field 'detail.userIdentity' is invalid: expected an object, got a string."),
        ["no requestParameters"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["requestParameters"] = null),
            RejectionKind.MissingField, Req, $"Field '{Req}' is missing."),
        ["neither groupId nor groupName"] = new(
            () => Mutate("revoke-by-rule-ids.json", r => Parameters(r).Remove("groupId")),
            RejectionKind.MissingField, $"{Req}.groupId", $"Field '{Req}.groupId' is missing; there is no 'groupName' either."),
        ["authorize names no rule"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => { Parameters(r)["ipPermissions"] = new JsonObject(); Detail(r)["responseElements"] = null; }),
            RejectionKind.MissingField, $"{Req}.ipPermissions", $"Field '{Req}.ipPermissions' is missing; the call names no rule."),
        ["revoke names no rule"] = new(
            () => Mutate("revoke-by-rule-ids.json", r => Parameters(r).Remove("securityGroupRuleIds")),
            RejectionKind.MissingField, $"{Req}.ipPermissions",
            $"Field '{Req}.ipPermissions' is missing; the call names neither permissions nor 'securityGroupRuleIds'."),
        ["revoke rule id item is empty"] = new(
            () => Mutate("revoke-by-rule-ids.json", r => Parameters(r)["securityGroupRuleIds"]!["items"]![1] = new JsonObject()),
            RejectionKind.InvalidField, $"{Req}.securityGroupRuleIds.items[1]", $"Field '{Req}.securityGroupRuleIds.items[1]' is invalid: expected a security group rule id."),
        ["permission without protocol"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Permission(r).Remove("ipProtocol")),
            RejectionKind.MissingField, $"{Req}.ipPermissions.items[0].ipProtocol", $"Field '{Req}.ipPermissions.items[0].ipProtocol' is missing."),
        ["ip range without cidrIp"] = new(
            () => Mutate("authorize-mixed-sources.json", r => Permission(r, 1)["ipRanges"]!["items"]![0]!.AsObject().Remove("cidrIp")),
            RejectionKind.MissingField, $"{Req}.ipPermissions.items[1].ipRanges.items[0].cidrIp", $"Field '{Req}.ipPermissions.items[1].ipRanges.items[0].cidrIp' is missing."),
        ["permission without source"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Permission(r)["ipRanges"] = new JsonObject()),
            RejectionKind.InvalidField, $"{Req}.ipPermissions.items[0]",
            $"Field '{Req}.ipPermissions.items[0]' is invalid: the permission names no source (ipRanges, ipv6Ranges, prefixListIds or groups)."),
        ["port is a word"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Permission(r)["fromPort"] = "twenty-two"),
            RejectionKind.InvalidField, $"{Req}.ipPermissions.items[0].fromPort",
            $"Field '{Req}.ipPermissions.items[0].fromPort' is invalid: expected an integer, got a string \"twenty-two\"."),
        ["port is fractional"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Permission(r)["toPort"] = 22.5),
            RejectionKind.InvalidField, $"{Req}.ipPermissions.items[0].toPort",
            $"Field '{Req}.ipPermissions.items[0].toPort' is invalid: expected an integer, got a number 22.5."),
        ["permissions is a string"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["ipPermissions"] = "tcp/22"),
            RejectionKind.InvalidField, $"{Req}.ipPermissions", $"Field '{Req}.ipPermissions' is invalid: expected a collection, got a string."),
        ["items is not an array"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["ipPermissions"] = JsonNode.Parse("""{"items":{}}""")),
            RejectionKind.InvalidField, $"{Req}.ipPermissions.items", $"Field '{Req}.ipPermissions.items' is invalid: expected an array, got an object."),
        ["response rule without source"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!.AsObject().Remove("cidrIpv4")),
            RejectionKind.MissingField, "detail.responseElements.securityGroupRuleSet.items[0].cidrIpv4",
            "Field 'detail.responseElements.securityGroupRuleSet.items[0].cidrIpv4' is missing; the rule names no source (cidrIpv4, cidrIpv6, prefixListId or referencedGroupInfo)."),
        ["detail is a string"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r["detail"] = "x"),
            RejectionKind.InvalidField, "detail", "Field 'detail' is invalid: expected an object, got a string."),
        ["envelope without detail"] = new(
            () => Mutate("authorize-ssh-from-internet.json", r => r.Remove("detail")),
            RejectionKind.MissingField, "detail", "Field 'detail' is missing; the EventBridge event carries no CloudTrail record."),
        ["neither envelope nor record"] = new(
            () => """{"hello":"world"}""",
            RejectionKind.MissingField, "detail",
            "Neither an EventBridge event (no 'detail-type' or 'detail') nor a CloudTrail record (no 'eventSource' or 'eventName')."),
        ["modify without GroupId"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!.AsObject().Remove("GroupId")),
            RejectionKind.MissingField, $"{ModReq}.GroupId", $"Field '{ModReq}.GroupId' is missing."),
        ["modify without rules"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!.AsObject().Remove("SecurityGroupRule")),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule", $"Field '{ModReq}.SecurityGroupRule' is missing."),
        ["modify with an empty list"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"] = new JsonArray()),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule", $"Field '{ModReq}.SecurityGroupRule' is missing; the call names no rule."),
        ["modify rules is a string"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"] = "sgr-1"),
            RejectionKind.InvalidField, $"{ModReq}.SecurityGroupRule", $"Field '{ModReq}.SecurityGroupRule' is invalid: expected an object or an array, got a string."),
        ["modify without rule id"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]!.AsObject().Remove("SecurityGroupRuleId")),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule.SecurityGroupRuleId", $"Field '{ModReq}.SecurityGroupRule.SecurityGroupRuleId' is missing."),
        ["modify without new content"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]!.AsObject().Remove("SecurityGroupRule")),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule.SecurityGroupRule", $"Field '{ModReq}.SecurityGroupRule.SecurityGroupRule' is missing; the new content of the rule."),
        ["modify without source"] = new(
            () => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]!["SecurityGroupRule"]!.AsObject().Remove("CidrIpv4")),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule.SecurityGroupRule.CidrIpv4",
            $"Field '{ModReq}.SecurityGroupRule.SecurityGroupRule.CidrIpv4' is missing; the rule names no source (CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId)."),
        ["modify list entry without protocol"] = new(
            () => Mutate("modify-several-rules.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]![1]!["SecurityGroupRule"]!.AsObject().Remove("IpProtocol")),
            RejectionKind.MissingField, $"{ModReq}.SecurityGroupRule[1].SecurityGroupRule.IpProtocol", $"Field '{ModReq}.SecurityGroupRule[1].SecurityGroupRule.IpProtocol' is missing."),
    };

    public static TheoryData<string> RejectionCaseNames => new(RejectionCases.Keys);

    [Theory]
    [MemberData(nameof(RejectionCaseNames))]
    public void Parse_BadRecord_IsRejectedWithItsKindFieldAndMessage(string name)
    {
        var expected = RejectionCases[name];
        var json = expected.Json();

        var rejection = ParseRejected(json);

        Assert.Equal(expected.Kind, rejection.Kind);
        Assert.Equal(expected.Field, rejection.Field);
        Assert.Equal(expected.Message, rejection.Message);
        Assert.Equal($"{expected.Kind}: {expected.Message}", rejection.ToString());
        Assert.Equal(rejection, CloudTrailParser.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Parse_RejectionAfterTheEventIsKnown_NamesTheEvent()
    {
        var rejection = ParseRejected(RejectionCases["neither groupId nor groupName"].Json());

        Assert.Equal("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0009", rejection.EventId);
        Assert.Equal("RevokeSecurityGroupIngress", rejection.EventName);
        Assert.Null(rejection.ErrorCode);
    }

    [Fact]
    public void Parse_RejectionBeforeTheRecordIsRead_NamesNoEvent()
    {
        var rejection = ParseRejected(RejectionCases["envelope source is not aws.ec2"].Json());

        Assert.Null(rejection.EventId);
        Assert.Null(rejection.EventName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{} {}")]
    [InlineData("{\"detail\": // comment\n {}}")]
    public void Parse_NotJson_IsRejectedAsNotJson(string text)
    {
        foreach (var result in (ParseResult[])[CloudTrailParser.Parse(text), CloudTrailParser.Parse(Encoding.UTF8.GetBytes(text))])
        {
            Assert.True(result.TryGetRejection(out var rejection));
            Assert.Equal(RejectionKind.NotJson, rejection.Kind);
            Assert.StartsWith("The body is", rejection.Message, StringComparison.Ordinal);
            // Every rejection names its field: the whole body, or the path where the JSON breaks.
            Assert.NotNull(rejection.Field);
            Assert.Contains($"'{rejection.Field}'", rejection.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_NullString_IsRejectedAsEmpty()
    {
        Assert.Equal(new ParseResult.Rejection(RejectionKind.NotJson, "The body is empty: '(body)' holds no event.") { Field = "(body)" }, CloudTrailParser.Parse((string?)null));
    }

    [Theory]
    [InlineData(" x")]
    [InlineData("{}")]
    [InlineData(",")]
    public void Parse_DataAfterTheEvent_IsRejectedAsNotJson_NamingTheRoot(string trailing)
    {
        // The structural pass reads the whole body, so content after the one JSON value is refused there.
        var sample = Sample("authorize-ssh-from-internet.json");
        Assert.True(CloudTrailParser.Parse(sample + " \n").IsSuccess);

        Assert.True(CloudTrailParser.Parse(sample + trailing).TryGetRejection(out var rejection));
        Assert.Equal((RejectionKind.NotJson, "(root)"), (rejection.Kind, rejection.Field));
        Assert.StartsWith("The body is not valid JSON at '(root)': ", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsRejectedAsNotJson()
    {
        byte[] bytes = [.. "{\"source\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.Equal(new ParseResult.Rejection(RejectionKind.NotJson, "The body is not valid UTF-8 at 'source' (byte 11).") { Field = "source" }, CloudTrailParser.Parse(bytes));
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("42", "a number")]
    [InlineData("\"text\"", "a string")]
    [InlineData("null", "null")]
    [InlineData("true", "a boolean")]
    public void Parse_JsonThatIsNotAnObject_IsRejectedAsNotAnObject(string json, string what)
    {
        var rejection = ParseRejected(json);

        Assert.Equal(RejectionKind.NotAnObject, rejection.Kind);
        Assert.Equal($"Field '(root)' is invalid: expected a JSON object (an EventBridge event or a CloudTrail record), got {what}.", rejection.Message);
        Assert.Equal("(root)", rejection.Field);
    }

    [Fact]
    public void Parse_DefaultJsonElement_IsRejectedAsNotAnObject()
    {
        Assert.True(CloudTrailParser.Parse(default(System.Text.Json.JsonElement)).TryGetRejection(out var rejection));
        Assert.Equal(RejectionKind.NotAnObject, rejection.Kind);
    }

    [Fact]
    public void EveryRejectionKind_IsCoveredByATest()
    {
        var covered = RejectionCases.Values.Select(c => c.Kind).Concat([RejectionKind.NotJson, RejectionKind.NotAnObject]).ToHashSet();

        Assert.Equal(Enum.GetValues<RejectionKind>().Order(), covered.Order());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_EveryFieldOfEverySampleReplacedByAnyJsonValue_NeverThrows(string sample)
    {
        JsonNode?[] replacements = [null, 0, -1, 3.5, "", "x", true, new JsonArray(), new JsonObject(), JsonNode.Parse("""{"items":[1]}""")];
        var original = JsonNode.Parse(Sample(sample))!;
        var paths = new List<string>();
        Collect(original, paths);
        var outcomes = 0;

        foreach (var path in paths)
        {
            foreach (var replacement in replacements)
            {
                var copy = original.DeepClone();
                Replace(copy, path, replacement?.DeepClone());
                var result = CloudTrailParser.Parse(copy.ToJsonString());
                if (result.TryGetRejection(out var rejection)) Assert.False(string.IsNullOrWhiteSpace(rejection.Message));
                outcomes++;
            }
        }

        Assert.Equal(paths.Count * replacements.Length, outcomes);
        Assert.True(paths.Count > 30, $"Only {paths.Count} fields found in {sample}.");
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_EveryTruncationOfEverySample_IsNotJson(string sample)
    {
        var bytes = Encoding.UTF8.GetBytes(Sample(sample).TrimEnd());

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.True(CloudTrailParser.Parse(bytes.AsSpan(0, length)).TryGetRejection(out var rejection), $"Prefix of {length} bytes parsed.");
            Assert.Equal(RejectionKind.NotJson, rejection.Kind);
        }
    }

    private static void Collect(JsonNode node, List<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is null) continue;
                    paths.Add(child.GetPath());
                    Collect(child, paths);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is null) continue;
                    paths.Add(child.GetPath());
                    Collect(child, paths);
                }
                break;
        }
    }

    private static void Replace(JsonNode root, string path, JsonNode? replacement)
    {
        var target = Find(root, path) ?? throw new InvalidOperationException($"No node at {path}.");
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[parent.First(p => ReferenceEquals(p.Value, target)).Key] = replacement;
                break;
            case JsonArray parent:
                parent[parent.IndexOf(target)] = replacement;
                break;
        }
    }

    private static JsonNode? Find(JsonNode node, string path)
    {
        if (node.GetPath() == path) return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array,
            _ => [],
        };
        return children.OfType<JsonNode>().Select(c => Find(c, path)).FirstOrDefault(found => found is not null);
    }
}
