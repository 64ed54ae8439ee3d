using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Events;

/// <summary>Values no successful EC2 call carries are refused, naming the field; values real calls do carry still pass.</summary>
public sealed partial class CloudTrailParserTests
{
    private const string RespRule = "detail.responseElements.securityGroupRuleSet.items[0]";
    private const string ModRule = "detail.requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule";
    private const string GroupIdRule = "a security group id is sg- and 8 or 17 lower-case hex digits";

    private static JsonObject Created(JsonObject root, int index = 0) =>
        Detail(root)["responseElements"]!["securityGroupRuleSet"]!["items"]![index]!.AsObject();

    private static JsonObject ModifiedContent(JsonObject root) =>
        Parameters(root)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]!["SecurityGroupRule"]!.AsObject();

    private static readonly Dictionary<string, (Func<string> Json, string Field, string Reason)> InvalidValueCases = new()
    {
        ["group id too short"] = (() => Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["groupId"] = "sg-123"),
            $"{Req}.groupId", $"'sg-123': {GroupIdRule}"),
        ["group id upper case"] = (() => Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["groupId"] = "sg-0123456789ABCDEF0"),
            $"{Req}.groupId", $"'sg-0123456789ABCDEF0': {GroupIdRule}"),
        ["group id of 18 digits"] = (() => Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["groupId"] = "sg-0123456789abcdef01"),
            $"{Req}.groupId", $"'sg-0123456789abcdef01': {GroupIdRule}"),
        ["group id that is a path"] = (() => Mutate("revoke-by-rule-ids.json", r => Parameters(r)["groupId"] = "sg-01234567/../x"),
            $"{Req}.groupId", $"'sg-01234567/../x': {GroupIdRule}"),
        ["group id in the response rule"] = (() => Mutate("authorize-default-vpc-group-name.json", r => Created(r)["groupId"] = "sg-x"),
            $"{RespRule}.groupId", $"'sg-x': {GroupIdRule}"),
        ["referenced group id"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["groups"]!["items"]![0]!["groupId"] = "sg-peer"),
            $"{Req}.ipPermissions.items[0].groups.items[0].groupId", $"'sg-peer': {GroupIdRule}"),
        ["referenced group owner not 12 digits"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["groups"]!["items"]![0]!["userId"] = "amazon-elb"),
            $"{Req}.ipPermissions.items[0].groups.items[0].userId", "'amazon-elb': the owner of a referenced group is a 12-digit AWS account id"),
        ["legacy source group owner not 12 digits"] = (() => Mutate("authorize-legacy-flat.json", r =>
            {
                Parameters(r).Remove("cidrIp");
                Parameters(r)["sourceSecurityGroupName"] = "web";
                Parameters(r)["sourceSecurityGroupOwnerId"] = "1234567890123";
            }),
            $"{Req}.sourceSecurityGroupOwnerId", "'1234567890123': the owner of a referenced group is a 12-digit AWS account id"),
        ["referenced group in the revoked set"] = (() => Mutate("revoke-with-revoked-rule-set.json", r =>
                Detail(r)["responseElements"]!["revokedSecurityGroupRuleSet"]!["items"]![1]!["referencedGroupId"] = "sg-0fedcba987654321Z"),
            "detail.responseElements.revokedSecurityGroupRuleSet.items[1].referencedGroupId", $"'sg-0fedcba987654321Z': {GroupIdRule}"),
        ["rule id in the response"] = (() => Mutate("authorize-ssh-from-internet.json", r => Created(r)["securityGroupRuleId"] = "sgr-1"),
            $"{RespRule}.securityGroupRuleId", "'sgr-1': a security group rule id is sgr- and 8 or 17 lower-case hex digits"),
        ["rule id to revoke"] = (() => Mutate("revoke-by-rule-ids.json", r => Parameters(r)["securityGroupRuleIds"]!["items"]![1]!["securityGroupRuleId"] = "sg-0a1b2c3d4e5f60012"),
            $"{Req}.securityGroupRuleIds.items[1].securityGroupRuleId", "'sg-0a1b2c3d4e5f60012' is not a security group rule id (sgr- and 8 or 17 lower-case hex digits)"),
        ["rule id to revoke as a bare string"] = (() => Mutate("revoke-by-rule-ids.json", r => Parameters(r)["securityGroupRuleIds"] = JsonNode.Parse("""["sgr-0a1b2c3d4e5f60011","sgr-?"]""")),
            $"{Req}.securityGroupRuleIds[1]", "'sgr-?' is not a security group rule id (sgr- and 8 or 17 lower-case hex digits)"),
        ["rule id to modify"] = (() => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["SecurityGroupRule"]!["SecurityGroupRuleId"] = "rule-1"),
            $"{ModRule}.SecurityGroupRuleId", "'rule-1': a security group rule id is sgr- and 8 or 17 lower-case hex digits"),
        ["group id to modify"] = (() => Mutate("modify-one-rule.json", r => Parameters(r)["ModifySecurityGroupRulesRequest"]!["GroupId"] = "default"),
            $"{ModReq}.GroupId", $"'default': {GroupIdRule}"),
        ["prefix list"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["prefixListIds"]!["items"]![0]!["prefixListId"] = "pl-corp"),
            $"{Req}.ipPermissions.items[0].prefixListIds.items[0].prefixListId", "'pl-corp': a prefix list id is pl- and 8 or 17 lower-case hex digits"),
        ["port above 65535"] = (() => Mutate("authorize-ssh-from-internet.json", r => Permission(r)["toPort"] = 65536),
            $"{Req}.ipPermissions.items[0].toPort", "65536 is out of range: a port is -1..65535"),
        ["port below -1"] = (() => Mutate("authorize-ssh-from-internet.json", r => Permission(r)["fromPort"] = "-2"),
            $"{Req}.ipPermissions.items[0].fromPort", "-2 is out of range: a port is -1..65535"),
        ["tcp range backwards"] = (() => Mutate("authorize-ssh-from-internet.json", r => { Permission(r)["fromPort"] = 8080; Permission(r)["toPort"] = 80; }),
            $"{Req}.ipPermissions.items[0].toPort", "the range 8080-80 ends before it starts"),
        ["udp range backwards in the response"] = (() => Mutate("authorize-mixed-sources.json", r => { Created(r, 5)["fromPort"] = 1195; Created(r, 5)["toPort"] = 1194; }),
            "detail.responseElements.securityGroupRuleSet.items[5].toPort", "the range 1195-1194 ends before it starts"),
        ["icmp type above 255"] = (() => Mutate("authorize-ssh-from-internet.json", r => { Detail(r)["responseElements"] = null; Permission(r)["ipProtocol"] = "icmp"; Permission(r)["fromPort"] = 256; Permission(r)["toPort"] = -1; }),
            $"{Req}.ipPermissions.items[0].fromPort", "256 is out of range: an ICMP type or code is -1..255"),
        ["modified rule range backwards"] = (() => Mutate("modify-one-rule.json", r => { ModifiedContent(r)["FromPort"] = 23; ModifiedContent(r)["ToPort"] = 22; }),
            $"{ModRule}.SecurityGroupRule.ToPort", "the range 23-22 ends before it starts"),
        ["legacy port out of range"] = (() => Mutate("authorize-legacy-flat.json", r => Parameters(r)["toPort"] = 100000),
            $"{Req}.toPort", "100000 is out of range: a port is -1..65535"),
        ["cidr prefix too long"] = (() => Mutate("authorize-ssh-from-internet.json", r => Created(r)["cidrIpv4"] = "10.0.0.0/33"),
            $"{RespRule}.cidrIpv4", "'10.0.0.0/33': expected an IPv4 CIDR such as 203.0.113.0/24"),
        ["cidr without prefix"] = (() => Mutate("authorize-legacy-flat.json", r => Parameters(r)["cidrIp"] = "203.0.113.7"),
            $"{Req}.cidrIp", "'203.0.113.7': expected an IPv4 CIDR such as 203.0.113.0/24"),
        ["cidr shorthand"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["ipRanges"]!["items"]![1]!["cidrIp"] = "10/8"),
            $"{Req}.ipPermissions.items[0].ipRanges.items[1].cidrIp", "'10/8': expected an IPv4 CIDR such as 203.0.113.0/24"),
        ["cidr octet above 255"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r, 1)["ipRanges"]!["items"]![0]!["cidrIp"] = "192.0.256.0/24"),
            $"{Req}.ipPermissions.items[1].ipRanges.items[0].cidrIp", "'192.0.256.0/24': expected an IPv4 CIDR such as 203.0.113.0/24"),
        ["ipv6 in the ipv4 field"] = (() => Mutate("modify-one-rule.json", r => ModifiedContent(r)["CidrIpv4"] = "::/0"),
            $"{ModRule}.SecurityGroupRule.CidrIpv4", "'::/0': expected an IPv4 CIDR such as 203.0.113.0/24"),
        ["ipv6 prefix too long"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["ipv6Ranges"]!["items"]![0]!["cidrIpv6"] = "2001:db8::/129"),
            $"{Req}.ipPermissions.items[0].ipv6Ranges.items[0].cidrIpv6", "'2001:db8::/129': expected an IPv6 CIDR such as 2001:db8::/32"),
        ["ipv6 with a zone id"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["ipv6Ranges"]!["items"]![0]!["cidrIpv6"] = "fe80::1%eth0/64"),
            $"{Req}.ipPermissions.items[0].ipv6Ranges.items[0].cidrIpv6", "'fe80::1%eth0/64': expected an IPv6 CIDR such as 2001:db8::/32"),
        ["ipv4 in the ipv6 field"] = (() => Mutate("authorize-mixed-sources.json", r => Permission(r)["ipv6Ranges"]!["items"]![0]!["cidrIpv6"] = "10.0.0.0/8"),
            $"{Req}.ipPermissions.items[0].ipv6Ranges.items[0].cidrIpv6", "'10.0.0.0/8': expected an IPv6 CIDR such as 2001:db8::/32"),
        ["region AWS does not have"] = (() => Mutate("authorize-ssh-from-internet.json", r => Detail(r)["awsRegion"] = "us-east-9"),
            "detail.awsRegion", "'us-east-9' is not a region of the aws, aws-us-gov or aws-cn partitions"),
        ["group name with a backslash"] = (() => Mutate("authorize-default-vpc-group-name.json", r => Parameters(r)["groupName"] = "web\\app"),
            $"{Req}.groupName", "'web\\app': a group name holds only a-z, A-Z, 0-9 and ._-:/()#,@[]+=&;{}!$* and spaces"),
        ["group name with a non-ASCII letter"] = (() => Mutate("authorize-default-vpc-group-name.json", r => Parameters(r)["groupName"] = "caf\u00e9"),
            $"{Req}.groupName", "'caf\u00e9': a group name holds only a-z, A-Z, 0-9 and ._-:/()#,@[]+=&;{}!$* and spaces"),
        ["group name with a control character"] = (() => Mutate("authorize-default-vpc-group-name.json", r => Parameters(r)["groupName"] = "web\u0000app"),
            $"{Req}.groupName", "'web\\u0000app': a group name holds no control characters"),
        ["referenced group name with a backslash"] = (() => Mutate("authorize-ssh-from-internet.json", r =>
            {
                Detail(r)["responseElements"] = null;
                Permission(r)["ipRanges"] = new JsonObject();
                Permission(r)["groups"] = JsonNode.Parse("""{"items":[{"groupName":"bastion\\1"}]}""");
            }),
            $"{Req}.ipPermissions.items[0].groups.items[0].groupName", "'bastion\\1': a group name holds only a-z, A-Z, 0-9 and ._-:/()#,@[]+=&;{}!$* and spaces"),
        ["legacy source group name with a question mark"] = (() => Mutate("authorize-legacy-flat.json", r => { Parameters(r).Remove("cidrIp"); Parameters(r)["sourceSecurityGroupName"] = "web?"; }),
            $"{Req}.sourceSecurityGroupName", "'web?': a group name holds only a-z, A-Z, 0-9 and ._-:/()#,@[]+=&;{}!$* and spaces"),
    };

    public static TheoryData<string> InvalidValueCaseNames => new(InvalidValueCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidValueCaseNames))]
    public void Parse_ValueNoEc2CallCarries_IsInvalidNamingTheField(string name)
    {
        var (json, field, reason) = InvalidValueCases[name];

        var rejection = ParseRejected(json());

        Assert.Equal(RejectionKind.InvalidField, rejection.Kind);
        Assert.Equal(field, rejection.Field);
        Assert.Equal($"Field '{field}' is invalid: {reason}.", rejection.Message);
    }

    [Fact]
    public void Parse_LongValue_IsQuotedShortInTheMessage()
    {
        var rejection = ParseRejected(Mutate("authorize-ssh-from-internet.json", r => Parameters(r)["groupId"] = "sg-" + new string('z', 10_000)));

        Assert.True(rejection.Message.Length < 300, rejection.Message);
        Assert.Contains("…", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("source")]
    [InlineData("detail-type")]
    public void Parse_ControlCharactersInAnEchoedValue_AreEscapedInTheMessage(string field)
    {
        var rejection = ParseRejected(Mutate("authorize-ssh-from-internet.json", r => r[field] = "aws.ec2\r\nforged log line"));

        Assert.DoesNotContain('\n', rejection.Message);
        Assert.Contains("aws.ec2\\u000d\\u000aforged log line", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.5/8")] // host bits set: EC2 accepts and masks them
    [InlineData("0.0.0.0/0")]
    [InlineData("255.255.255.255/32")]
    public void Parse_Ipv4CidrsEc2Accepts_Pass(string cidr)
    {
        var change = ParseOk(Mutate("authorize-legacy-flat.json", r => Parameters(r)["cidrIp"] = cidr));

        Assert.Equal(RuleSource.Ipv4(cidr), Assert.Single(change.Rules).Source);
    }

    [Theory]
    [InlineData("::/0")]
    [InlineData("2001:db8::1/64")]
    [InlineData("::ffff:192.0.2.1/128")]
    public void Parse_Ipv6CidrsEc2Accepts_Pass(string cidr)
    {
        var change = ParseOk(Mutate("authorize-ssh-from-internet.json", r =>
        {
            Detail(r)["responseElements"] = null;
            Permission(r)["ipRanges"] = new JsonObject();
            Permission(r)["ipv6Ranges"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["cidrIpv6"] = cidr }) };
        }));

        Assert.Equal(RuleSource.Ipv6(cidr), Assert.Single(change.Rules).Source);
    }

    [Theory]
    [InlineData("tcp", 0, 65535)]
    [InlineData("tcp", 22, 22)]
    [InlineData("icmp", 3, 4)]
    [InlineData("icmp", 8, -1)]
    [InlineData("icmpv6", 255, 0)] // type and code: no order
    [InlineData("-1", 100, 1)] // all traffic: EC2 ignores the ports
    [InlineData("50", 65535, -1)] // another protocol: EC2 ignores the ports
    public void Parse_PortsEc2Accepts_Pass(string protocol, int from, int to)
    {
        var change = ParseOk(Mutate("authorize-ssh-from-internet.json", r =>
        {
            Detail(r)["responseElements"] = null;
            Permission(r)["ipProtocol"] = protocol;
            Permission(r)["fromPort"] = from;
            Permission(r)["toPort"] = to;
        }));

        var rule = Assert.Single(change.Rules);
        Assert.Equal((from, to), (rule.FromPort, rule.ToPort));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("launch-wizard-1")]
    [InlineData("My Group (prod) [web] @team: ok!")]
    [InlineData("web#1")]
    [InlineData("team/app")]
    [InlineData("a/b#c {x}=$*&;+,")]
    public void Parse_DefaultVpcGroupNames_StillPass(string name)
    {
        var change = ParseOk(Mutate("revoke-default-vpc-unknown-permissions.json", r => Parameters(r)["groupName"] = name));

        Assert.Equal(name, change.GroupName);
    }
}
