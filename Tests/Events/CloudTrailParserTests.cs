using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Events;

/// <summary>One test per sample in samples/, asserting the whole change; shapes, quirks and rejections live in the other parts.</summary>
public sealed partial class CloudTrailParserTests
{
    private const string Account = "111111111111";
    private const string OtherAccount = "222222222222";
    private const string Group = "sg-0123456789abcdef0";
    private const string DefaultVpcGroup = "sg-0123456789abcdef1";
    private const string PeerGroup = "sg-0fedcba9876543210";
    private const string PrefixList = "pl-0123456789abcdef0";
    private const string SsoRole = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
    private const string SsoIssuerArn = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/" + SsoRole;
    private const string Cli = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#ec2.authorize-security-group-ingress";

    private static readonly Requester Alice = new(
        PrincipalType.IdentityCenterUser,
        $"arn:aws:sts::{Account}:assumed-role/{SsoRole}/alice@example.com",
        Account,
        "AROAEXAMPLESSOROLE01:alice@example.com",
        UserName: null,
        SessionName: "alice@example.com",
        IssuerArn: SsoIssuerArn,
        SourceIp: "198.51.100.23",
        UserAgent: "AWS Internal",
        InvokedBy: null);

    private static readonly Requester DeployUser = new(
        PrincipalType.IamUser,
        $"arn:aws:iam::{Account}:user/deploy-user",
        Account,
        "AIDAEXAMPLEUSER00001",
        UserName: "deploy-user",
        SessionName: null,
        IssuerArn: null,
        SourceIp: "203.0.113.10",
        UserAgent: Cli,
        InvokedBy: null);

    internal static readonly string[] SampleNames =
    [
        "authorize-ssh-from-internet.json",
        "authorize-mixed-sources.json",
        "authorize-legacy-flat.json",
        "authorize-default-vpc-group-name.json",
        "authorize-icmp-and-protocol-numbers.json",
        "authorize-failed-duplicate.json",
        "revoke-by-permissions.json",
        "revoke-default-vpc-unknown-permissions.json",
        "revoke-by-rule-ids.json",
        "revoke-with-revoked-rule-set.json",
        "modify-one-rule.json",
        "modify-several-rules.json",
        "bare-cloudtrail-record.json",
        "by-service-linked-role.json",
        "by-bridge-role.json",
        "by-cloudformation.json",
        "by-root.json",
        "by-iam-user.json",
        "authorize-egress.json",
        "revoke-egress.json",
    ];

    public static TheoryData<string> Samples => new(SampleNames);

    [Fact]
    public void Samples_FolderHoldsExactlyTheSamplesTheseTestsCover()
    {
        var onDisk = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json").Select(Path.GetFileName).Order();
        Assert.Equal(SampleNames.Order(), onDisk);
    }

    [Fact]
    public void HandledEventNames_AreTheThreeIngressCalls_AndTheEgressCallsAreListedApart()
    {
        Assert.Equal(["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "ModifySecurityGroupRules"], HandledEvents.Names);
        Assert.Equal(["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"], HandledEvents.EgressNames);
        Assert.Equal(HandledEvents.Names.Concat(HandledEvents.EgressNames), HandledEvents.AllNames);
    }

    [Fact]
    public void Parse_AuthorizeEgress_IsAnEgressAddWithTheRuleFromTheResponse()
    {
        var change = ParseSample("authorize-egress.json");

        Assert.Equal(("AuthorizeSecurityGroupEgress", ChangeKind.Add, RuleDirection.Egress, Group), (change.EventName, change.Kind, change.Direction, change.GroupId));
        Assert.Equal([new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("0.0.0.0/0"), "https out", "sgr-0a1b2c3d4e5f60091")], change.Rules);
        Assert.Equal(Alice, change.Requester);
    }

    [Fact]
    public void Parse_RevokeEgress_IsAnEgressRemoval()
    {
        var change = ParseSample("revoke-egress.json");

        Assert.Equal(("RevokeSecurityGroupEgress", ChangeKind.Remove, RuleDirection.Egress), (change.EventName, change.Kind, change.Direction));
        Assert.Equal([new SecurityGroupRule("-1", -1, -1, RuleSource.Ipv4("0.0.0.0/0"), null, "sgr-0a1b2c3d4e5f60092")], change.Rules);
    }

    [Fact]
    public void Parse_EgressWithoutResponse_TakesTheRulesFromTheRequest()
    {
        var change = ParseOk(Mutate("revoke-egress.json", r => Detail(r)["responseElements"] = null));

        Assert.Equal(RuleDirection.Egress, change.Direction);
        Assert.Equal([new SecurityGroupRule("-1", null, null, RuleSource.Ipv4("0.0.0.0/0"))], change.Rules);
    }

    [Theory]
    [InlineData("authorize-ssh-from-internet.json")]
    [InlineData("revoke-by-permissions.json")]
    [InlineData("modify-one-rule.json")]
    public void Parse_IngressCalls_AreIngress(string sample) => Assert.Equal(RuleDirection.Ingress, ParseSample(sample).Direction);

    [Fact]
    public void Direction_OfAChangeQueuedBeforeItExisted_IsIngress()
    {
        var json = BridgeJson.Serialize(ParseSample("authorize-ssh-from-internet.json"));
        var old = JsonNode.Parse(json)!.AsObject();
        Assert.True(old.Remove("direction") || old.Remove("Direction"), json);

        Assert.Equal(RuleDirection.Ingress, BridgeJson.Deserialize<SecurityGroupChange>(old.ToJsonString()).Direction);
        Assert.Equal(RuleDirection.Egress, BridgeJson.Deserialize<SecurityGroupChange>(BridgeJson.Serialize(ParseSample("authorize-egress.json"))).Direction);
    }

    [Fact]
    public void Parse_AuthorizeSshFromInternet_IsOneRuleWithItsIdByAnIdentityCenterUser()
    {
        var change = ParseSample("authorize-ssh-from-internet.json");

        Assert.Equal("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001", change.EventId);
        Assert.Equal("AuthorizeSecurityGroupIngress", change.EventName);
        Assert.Equal(new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero), change.EventTime);
        Assert.Equal(Account, change.AccountId);
        Assert.Equal("eu-west-1", change.Region);
        Assert.Equal(ChangeKind.Add, change.Kind);
        Assert.Equal(Group, change.GroupId);
        Assert.Null(change.GroupName);
        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "temporary ssh", "sgr-0a1b2c3d4e5f60001")], change.Rules);
        Assert.Empty(change.RuleIds);
        Assert.Empty(change.Modifications);
        Assert.Equal(Alice, change.Requester);
        Assert.Equal("alice@example.com", change.Requester.Email);
        Assert.Equal($"alice@example.com via {SsoRole}", change.Requester.DisplayName);
        Assert.False(change.Requester.IsServiceLinkedRole);
    }

    [Fact]
    public void Parse_AuthorizeMixedSources_IsOneRulePerSourceFromTheResponse()
    {
        var change = ParseSample("authorize-mixed-sources.json");

        Assert.Equal(ChangeKind.Add, change.Kind);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal(
            [
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("203.0.113.0/24"), "office", "sgr-0a1b2c3d4e5f60011"),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("198.51.100.0/24"), null, "sgr-0a1b2c3d4e5f60012"),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv6("2001:db8::/32"), "office v6", "sgr-0a1b2c3d4e5f60013"),
                new SecurityGroupRule("tcp", 443, 443, new RuleSource(SourceKind.ReferencedGroup, PeerGroup, OtherAccount, "vpc-0aaaabbbbccccdddd", "pcx-0123456789abcdef0"), "peer app", "sgr-0a1b2c3d4e5f60014"),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.PrefixList(PrefixList), "corp ranges", "sgr-0a1b2c3d4e5f60015"),
                new SecurityGroupRule("udp", 1194, 1194, RuleSource.Ipv4("192.0.2.0/24"), "vpn", "sgr-0a1b2c3d4e5f60016"),
            ],
            change.Rules);
        Assert.Equal(DeployUser, change.Requester);
    }

    [Fact]
    public void Parse_AuthorizeMixedSourcesWithoutResponse_BuildsTheSameRulesFromTheRequestInRequestOrder()
    {
        var json = Mutate("authorize-mixed-sources.json", root => Detail(root)["responseElements"] = null);

        var change = ParseOk(json);

        // Request order: per permission, ipRanges, ipv6Ranges, prefixListIds, then groups.
        Assert.Equal(
            [
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("203.0.113.0/24"), "office"),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("198.51.100.0/24")),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv6("2001:db8::/32"), "office v6"),
                new SecurityGroupRule("tcp", 443, 443, RuleSource.PrefixList(PrefixList), "corp ranges"),
                new SecurityGroupRule("tcp", 443, 443, new RuleSource(SourceKind.ReferencedGroup, PeerGroup, OtherAccount, "vpc-0aaaabbbbccccdddd", "pcx-0123456789abcdef0"), "peer app"),
                new SecurityGroupRule("udp", 1194, 1194, RuleSource.Ipv4("192.0.2.0/24"), "vpn"),
            ],
            change.Rules);
    }

    [Fact]
    public void Parse_AuthorizeLegacyFlat_IsOneRuleFromTheFlatParameters()
    {
        var change = ParseSample("authorize-legacy-flat.json");

        Assert.Equal(ChangeKind.Add, change.Kind);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal([new SecurityGroupRule("tcp", 3389, 3389, RuleSource.Ipv4("203.0.113.7/32"))], change.Rules);
        Assert.Equal(PrincipalType.IamUser, change.Requester.Type);
        Assert.Equal("Boto3/1.35.2 md/Botocore#1.35.2 ua/2.0 os/linux#6.8.0 lang/python#3.12.6", change.Requester.UserAgent);
    }

    [Fact]
    public void Parse_AuthorizeDefaultVpcGroupName_TakesTheGroupIdFromTheResponseAndKeepsTheName()
    {
        var change = ParseSample("authorize-default-vpc-group-name.json");

        Assert.Equal(DefaultVpcGroup, change.GroupId);
        Assert.Equal("default", change.GroupName);
        Assert.Equal("us-east-1", change.Region);
        Assert.Equal([new SecurityGroupRule("tcp", 80, 80, RuleSource.Ipv4("0.0.0.0/0"), null, "sgr-0a1b2c3d4e5f60021")], change.Rules);
    }

    [Fact]
    public void Parse_AuthorizeIcmpAndProtocolNumbers_NormalisesProtocolsAndKeepsIcmpTypeAndCode()
    {
        var change = ParseSample("authorize-icmp-and-protocol-numbers.json");

        Assert.Equal(
            [
                new SecurityGroupRule("icmp", 8, -1, RuleSource.Ipv4("10.0.0.0/8"), "ping"),
                new SecurityGroupRule("icmpv6", -1, -1, RuleSource.Ipv6("2001:db8:1234::/48")),
                new SecurityGroupRule("50", null, null, RuleSource.Ipv4("192.0.2.10/32"), "ipsec esp"),
                new SecurityGroupRule("tcp", 8080, 8090, RuleSource.Ipv4("198.51.100.64/26")),
                new SecurityGroupRule("-1", null, null, RuleSource.Group(PeerGroup, Account)),
            ],
            change.Rules);
        Assert.Equal(
            ["ICMP type 8 from 10.0.0.0/8 (ping)", "ICMPV6 all types from 2001:db8:1234::/48", "TCP 8080-8090 from 198.51.100.64/26", $"all traffic from {Account}/{PeerGroup}"],
            change.Rules.Where(r => r.Protocol != "50").Select(r => r.Describe()));
    }

    [Fact]
    public void Parse_AuthorizeFailedDuplicate_IsRejectedAsFailedCallCarryingTheError()
    {
        var rejection = ParseRejected(Sample("authorize-failed-duplicate.json"));

        Assert.Equal(RejectionKind.FailedCall, rejection.Kind);
        Assert.Equal("detail.errorCode", rejection.Field);
        Assert.Equal("Client.InvalidPermission.Duplicate", rejection.ErrorCode);
        Assert.Equal("the specified rule \"peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW\" already exists", rejection.ErrorMessage);
        Assert.Equal("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0006", rejection.EventId);
        Assert.Equal("AuthorizeSecurityGroupIngress", rejection.EventName);
        Assert.Equal(
            "Field 'detail.errorCode' is 'Client.InvalidPermission.Duplicate': the AuthorizeSecurityGroupIngress call failed (the specified rule \"peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW\" already exists) and changed nothing.",
            rejection.Message);
    }

    [Fact]
    public void Parse_RevokeByPermissions_IsARemovalOfEachSource()
    {
        var change = ParseSample("revoke-by-permissions.json");

        Assert.Equal(ChangeKind.Remove, change.Kind);
        Assert.Equal("RevokeSecurityGroupIngress", change.EventName);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal(
            [
                new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0")),
                new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv6("::/0")),
                new SecurityGroupRule("tcp", 3389, 3389, RuleSource.Ipv4("203.0.113.0/24")),
            ],
            change.Rules);
        Assert.Empty(change.RuleIds);
        Assert.Equal(Alice, change.Requester);
    }

    [Fact]
    public void Parse_RevokeInDefaultVpcWithUnknownPermissions_LeavesOutThePermissionsThatRevokedNothing()
    {
        var change = ParseSample("revoke-default-vpc-unknown-permissions.json");

        Assert.Equal(ChangeKind.Remove, change.Kind);
        Assert.Null(change.GroupId);
        Assert.Equal("default", change.GroupName);
        Assert.Equal("name:default", change.GroupLabel);
        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"))], change.Rules);
    }

    [Fact]
    public void Parse_RevokeByRuleIds_CarriesTheIdsAndNoContent()
    {
        var change = ParseSample("revoke-by-rule-ids.json");

        Assert.Equal(ChangeKind.Remove, change.Kind);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal(["sgr-0a1b2c3d4e5f60011", "sgr-0a1b2c3d4e5f60012"], change.RuleIds);
        Assert.Empty(change.Rules);
    }

    [Fact]
    public void Parse_RevokeWithRevokedRuleSet_KnowsTheContentOfEveryRevokedRule()
    {
        var change = ParseSample("revoke-with-revoked-rule-set.json");

        Assert.Equal(ChangeKind.Remove, change.Kind);
        Assert.Equal(["sgr-0a1b2c3d4e5f60031", "sgr-0a1b2c3d4e5f60032", "sgr-0a1b2c3d4e5f60033"], change.RuleIds);
        Assert.Equal(
            [
                new SecurityGroupRule("tcp", 5432, 5432, RuleSource.Ipv4("10.20.0.0/16"), "postgres from app subnet", "sgr-0a1b2c3d4e5f60031"),
                new SecurityGroupRule("tcp", 5432, 5432, RuleSource.Group(PeerGroup), null, "sgr-0a1b2c3d4e5f60032"),
                new SecurityGroupRule("-1", -1, -1, RuleSource.PrefixList(PrefixList), "corp ranges", "sgr-0a1b2c3d4e5f60033"),
            ],
            change.Rules);
    }

    [Fact]
    public void Parse_ModifyOneRule_IsOneModificationAndNeitherAnAddNorARemove()
    {
        var change = ParseSample("modify-one-rule.json");

        Assert.Equal(ChangeKind.Modify, change.Kind);
        Assert.Equal("ModifySecurityGroupRules", change.EventName);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal(
            [new RuleModification("sgr-0a1b2c3d4e5f60001", new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "ssh for everyone", "sgr-0a1b2c3d4e5f60001"))],
            change.Modifications);
        Assert.Empty(change.Rules);
        Assert.Empty(change.RuleIds);
        Assert.Equal(Alice, change.Requester);
    }

    [Fact]
    public void Parse_ModifySeveralRules_IsOneModificationPerEntryInOrder()
    {
        var change = ParseSample("modify-several-rules.json");

        Assert.Equal(ChangeKind.Modify, change.Kind);
        Assert.Equal(
            [
                new RuleModification("sgr-0a1b2c3d4e5f60013", new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv6("::/0"), "https v6", "sgr-0a1b2c3d4e5f60013")),
                new RuleModification("sgr-0a1b2c3d4e5f60014", new SecurityGroupRule("-1", -1, -1, RuleSource.Group(PeerGroup), null, "sgr-0a1b2c3d4e5f60014")),
                new RuleModification("sgr-0a1b2c3d4e5f60015", new SecurityGroupRule("udp", 53, 53, RuleSource.PrefixList(PrefixList), null, "sgr-0a1b2c3d4e5f60015")),
            ],
            change.Modifications);
        Assert.Empty(change.Rules);
    }

    [Fact]
    public void Parse_BareCloudTrailRecord_ReadsTheRecordWithoutAnEnvelope()
    {
        var change = ParseSample("bare-cloudtrail-record.json");

        Assert.Equal("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0013", change.EventId);
        Assert.Equal(new DateTimeOffset(2025, 3, 14, 11, 40, 0, TimeSpan.Zero), change.EventTime);
        Assert.Equal(Account, change.AccountId);
        Assert.Equal("eu-west-1", change.Region);
        Assert.Equal(Group, change.GroupId);
        Assert.Equal([new SecurityGroupRule("tcp", 5432, 5432, RuleSource.Ipv4("10.20.0.0/16"), "postgres from app subnet", "sgr-0a1b2c3d4e5f60031")], change.Rules);
        Assert.Equal(DeployUser, change.Requester);
    }

    [Fact]
    public void Parse_BareRecord_GivesTheSameChangeAsTheSameRecordInAnEnvelope()
    {
        var bare = Sample("bare-cloudtrail-record.json");
        var wrapped = new JsonObject
        {
            ["version"] = "0",
            ["id"] = "0a1b2c3d-0000-4000-8000-000000000013",
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws.ec2",
            ["account"] = Account,
            ["time"] = "2025-03-14T11:40:00Z",
            ["region"] = "eu-west-1",
            ["resources"] = new JsonArray(),
            ["detail"] = JsonNode.Parse(bare),
        }.ToJsonString();

        Assert.Equal(BridgeJson.Serialize(ParseOk(bare)), BridgeJson.Serialize(ParseOk(wrapped)));
    }

    [Fact]
    public void Parse_ByServiceLinkedRole_IsAnAssumedRoleFlaggedAsServiceLinked()
    {
        var change = ParseSample("by-service-linked-role.json");

        Assert.Equal(
            new Requester(
                PrincipalType.AssumedRole,
                $"arn:aws:sts::{Account}:assumed-role/AWSServiceRoleForAmazonEKS/AmazonEKS",
                Account,
                "AROAEXAMPLEEKSSLR001:AmazonEKS",
                UserName: null,
                SessionName: "AmazonEKS",
                IssuerArn: $"arn:aws:iam::{Account}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
                SourceIp: "eks.amazonaws.com",
                UserAgent: "eks.amazonaws.com",
                InvokedBy: "eks.amazonaws.com"),
            change.Requester);
        Assert.True(change.Requester.IsServiceLinkedRole);
        Assert.Equal([new SecurityGroupRule("tcp", 443, 443, RuleSource.Group(DefaultVpcGroup, Account), null, "sgr-0a1b2c3d4e5f60041")], change.Rules);
    }

    [Fact]
    public void Parse_ByBridgeRole_IsTheBridgeSessionRevokingWithKnownContent()
    {
        var change = ParseSample("by-bridge-role.json");

        Assert.Equal(
            new Requester(
                PrincipalType.AssumedRole,
                $"arn:aws:sts::{Account}:assumed-role/SgBridgeExecutionRole/sgbridge",
                Account,
                "AROAEXAMPLEBRIDGE001:sgbridge",
                UserName: null,
                SessionName: "sgbridge",
                IssuerArn: $"arn:aws:iam::{Account}:role/SgBridgeExecutionRole",
                SourceIp: "203.0.113.50",
                UserAgent: "aws-sdk-dotnet-coreclr/4.0.132.2 ua/2.0 os/linux#6.8.0 md/arch#x64 lang/.NET_Core#10.0.0 api/EC2#4.0.132.2 cfg/retry-mode#standard",
                InvokedBy: null),
            change.Requester);
        Assert.Equal($"arn:aws:iam::{Account}:role/SgBridgeExecutionRole", change.Requester.PolicyArn);
        Assert.Equal(ChangeKind.Remove, change.Kind);
        Assert.Equal(["sgr-0a1b2c3d4e5f60001"], change.RuleIds);
        Assert.Equal([new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "temporary ssh", "sgr-0a1b2c3d4e5f60001")], change.Rules);
    }

    [Fact]
    public void Parse_ByCloudFormation_IsThePersonsOwnRoleWithInvokedBy()
    {
        var change = ParseSample("by-cloudformation.json");

        Assert.Equal(
            new Requester(
                PrincipalType.AssumedRole,
                $"arn:aws:sts::{Account}:assumed-role/DeployRole/bob",
                Account,
                "AROAEXAMPLEDEPLOY001:bob",
                UserName: null,
                SessionName: "bob",
                IssuerArn: $"arn:aws:iam::{Account}:role/platform/DeployRole",
                SourceIp: "cloudformation.amazonaws.com",
                UserAgent: "cloudformation.amazonaws.com",
                InvokedBy: "cloudformation.amazonaws.com"),
            change.Requester);
        Assert.False(change.Requester.IsServiceLinkedRole);
        Assert.Equal("bob via DeployRole", change.Requester.DisplayName);
        Assert.Equal([new SecurityGroupRule("tcp", 8443, 8443, RuleSource.Ipv4("192.0.2.0/24"), "partner api", "sgr-0a1b2c3d4e5f60051")], change.Rules);
    }

    [Fact]
    public void Parse_ByRoot_IsTheRootPrincipal()
    {
        var change = ParseSample("by-root.json");

        Assert.Equal(
            new Requester(PrincipalType.Root, $"arn:aws:iam::{Account}:root", Account, Account, null, null, null, "198.51.100.23", "AWS Internal", null),
            change.Requester);
        Assert.Equal($"root ({Account})", change.Requester.DisplayName);
        Assert.Equal([new SecurityGroupRule("tcp", 3306, 3306, RuleSource.Ipv4("198.51.100.0/24"), null, "sgr-0a1b2c3d4e5f60061")], change.Rules);
    }

    [Fact]
    public void Parse_ByIamUser_IsTheUserByName()
    {
        var change = ParseSample("by-iam-user.json");

        Assert.Equal(DeployUser, change.Requester);
        Assert.Equal("deploy-user", change.Requester.DisplayName);
        Assert.Equal($"arn:aws:iam::{Account}:user/deploy-user", change.Requester.PolicyArn);
        Assert.Equal([new SecurityGroupRule("udp", 53, 53, RuleSource.PrefixList(PrefixList), null, "sgr-0a1b2c3d4e5f60071")], change.Rules);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_EverySample_GivesTheSameResultFromStringBytesAndElement(string sample)
    {
        var json = Sample(sample);
        using var document = JsonDocument.Parse(json);

        var fromString = Describe(CloudTrailParser.Parse(json));
        Assert.Equal(fromString, Describe(CloudTrailParser.Parse(Encoding.UTF8.GetBytes(json))));
        Assert.Equal(fromString, Describe(CloudTrailParser.Parse(document.RootElement)));
        Assert.Equal(sample != "authorize-failed-duplicate.json", CloudTrailParser.Parse(json).IsSuccess);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_EverySample_SurvivesARoundTripThroughBridgeJson(string sample)
    {
        if (!CloudTrailParser.Parse(Sample(sample)).TryGetChange(out var change)) return;

        var copy = BridgeJson.Deserialize<SecurityGroupChange>(BridgeJson.Serialize(change));

        Assert.Equal(BridgeJson.Serialize(change), BridgeJson.Serialize(copy));
        Assert.Equal(change.Rules, copy.Rules);
        Assert.Equal(change.Modifications, copy.Modifications);
        Assert.Equal(change.Requester, copy.Requester);
    }

    // --- helpers -------------------------------------------------------------------------------

    internal static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", name));

    private static SecurityGroupChange ParseSample(string name) => ParseOk(Sample(name));

    private static SecurityGroupChange ParseOk(string json)
    {
        var result = CloudTrailParser.Parse(json);
        if (result.TryGetRejection(out var rejection)) Assert.Fail($"Expected a change, got {rejection}");
        Assert.True(result.TryGetChange(out var change));
        return change;
    }

    private static ParseResult.Rejection ParseRejected(string json)
    {
        var result = CloudTrailParser.Parse(json);
        Assert.False(result.IsSuccess, "Expected a rejection, got a change.");
        Assert.True(result.TryGetRejection(out var rejection));
        Assert.False(result.TryGetChange(out _));
        return rejection;
    }

    private static string Describe(ParseResult result) => result switch
    {
        ParseResult.Success s => BridgeJson.Serialize(s.Change),
        ParseResult.Rejection r => r.ToString(),
        _ => throw new InvalidOperationException(),
    };

    private static string Mutate(string sample, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(Sample(sample))!.AsObject();
        edit(root);
        return root.ToJsonString();
    }

    private static JsonObject Detail(JsonObject root) => root["detail"]!.AsObject();

    private static JsonObject Parameters(JsonObject root) => Detail(root)["requestParameters"]!.AsObject();
}
