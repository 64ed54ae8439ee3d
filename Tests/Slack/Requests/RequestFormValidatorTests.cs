using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack.Requests;

public class RequestFormValidatorTests
{
    private static readonly PolicyOptions Policy = new() { AllowedAccounts = TestData.Account + ",222222222222", AccountAliases = "111111111111=prod" };

    private static FormCheck Check(Action<Dictionary<string, string?>> change, PolicyOptions? policy = null, ApprovalsOptions? durations = null)
    {
        var form = RequestRig.ValidForm();
        change(form);
        return new RequestFormValidator(policy ?? Policy, durations ?? new ApprovalsOptions()).Check(form);
    }

    [Fact]
    public void Check_AValidForm_GivesTheRule()
    {
        var check = Check(_ => { });
        Assert.True(check.IsValid);
        var f = check.Form!;
        Assert.Equal((TestData.Account, TestData.Region, TestData.GroupId, (string?)null, TimeSpan.FromHours(8)), (f.AccountId, f.Region, f.GroupId, f.GroupName, f.Duration));
        Assert.Equal(new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("10.0.0.0/8"), "build agents"), f.Rule);
        Assert.False(f.Rule.Egress);
    }

    [Theory]
    // block, value, expected words in the error
    [InlineData(RequestBlocks.Account, null, "Choose an AWS account")]
    [InlineData(RequestBlocks.Account, "333333333333", "not one this bridge polices")]
    [InlineData(RequestBlocks.Account, "staging", "neither a 12-digit account id nor a known alias")]
    [InlineData(RequestBlocks.Account, "11111111111", "neither a 12-digit")]
    [InlineData(RequestBlocks.Region, null, "Choose a region")]
    [InlineData(RequestBlocks.Region, "eu-west-9", "not an AWS region")]
    [InlineData(RequestBlocks.Group, null, "group's id")]
    [InlineData(RequestBlocks.Group, "sg-123", "not a security group id")]
    [InlineData(RequestBlocks.Group, "sg-0123456789abcdefg", "not a security group id")]
    [InlineData(RequestBlocks.Direction, "sideways", "inbound or outbound")]
    [InlineData(RequestBlocks.Direction, "egress", "Outbound rules are not policed")]
    [InlineData(RequestBlocks.Protocol, null, "Choose TCP")]
    [InlineData(RequestBlocks.Protocol, "gre", "Choose TCP")]
    [InlineData(RequestBlocks.Ports, null, "Give a port")]
    [InlineData(RequestBlocks.Ports, "65536", "not a port")]
    [InlineData(RequestBlocks.Ports, "-1", "not a port")]
    [InlineData(RequestBlocks.Ports, "80-65536", "end of the range")]
    [InlineData(RequestBlocks.Ports, "8100-8000", "ends before it starts")]
    [InlineData(RequestBlocks.Ports, "22,80", "not a port")]
    [InlineData(RequestBlocks.Source, null, "Give a CIDR")]
    [InlineData(RequestBlocks.Source, "10.0.0.0", "not a CIDR")]
    [InlineData(RequestBlocks.Source, "10.0.0.1/8", "did you mean 10.0.0.0/8")]
    [InlineData(RequestBlocks.Source, "10.0.0.0/33", "prefix length is 0-32")]
    [InlineData(RequestBlocks.Source, "2001:db8::1/32", "did you mean 2001:db8::/32")]
    [InlineData(RequestBlocks.Source, "2001:db8::/129", "prefix length is 0-128")]
    [InlineData(RequestBlocks.Source, "300.0.0.0/8", "not a CIDR")]
    [InlineData(RequestBlocks.Source, "pl-12", "not a CIDR")]
    [InlineData(RequestBlocks.Description, "<script>", "at most 255 characters")]
    [InlineData(RequestBlocks.Duration, null, "Choose one of: 1h, 8h, 24h, 7d, permanent")]
    [InlineData(RequestBlocks.Duration, "30d", "Choose one of")]
    [InlineData(RequestBlocks.Reason, null, "Say why")]
    [InlineData(RequestBlocks.Reason, "ok", "Say why")]
    public void Check_AWrongField_IsAnErrorOnItsBlock(string block, string? value, string words)
    {
        var check = Check(f => f[block] = value);
        Assert.False(check.IsValid);
        Assert.Equal([block], check.Errors.Keys);
        Assert.Contains(words, check.Errors[block], StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LengthLimits_AtTheEdge()
    {
        Assert.True(Check(f => f[RequestBlocks.Description] = new string('a', 255)).IsValid);
        Assert.Equal([RequestBlocks.Description], Check(f => f[RequestBlocks.Description] = new string('a', 256)).Errors.Keys);
        Assert.True(Check(f => f[RequestBlocks.Reason] = new string('r', 1000)).IsValid);
        Assert.Equal([RequestBlocks.Reason], Check(f => f[RequestBlocks.Reason] = new string('r', 1001)).Errors.Keys);
        Assert.True(Check(f => f[RequestBlocks.Group] = new string('n', 255)).IsValid);
        Assert.Equal([RequestBlocks.Group], Check(f => f[RequestBlocks.Group] = new string('n', 256)).Errors.Keys);
    }

    [Fact]
    public void Check_EveryFieldWrong_GivesOneErrorPerBlock()
    {
        var check = new RequestFormValidator(Policy, new ApprovalsOptions()).Check(new Dictionary<string, string?>());
        Assert.Equal(new[] { RequestBlocks.Account, RequestBlocks.Region, RequestBlocks.Group, RequestBlocks.Protocol, RequestBlocks.Source, RequestBlocks.Duration, RequestBlocks.Reason }.Order(),
            check.Errors.Keys.Order());
    }

    [Theory]
    [InlineData("tcp", "0", 0, 0)]
    [InlineData("tcp", "65535", 65535, 65535)]
    [InlineData("udp", "8000 - 8100", 8000, 8100)]
    [InlineData("icmp", null, -1, -1)]
    [InlineData("icmp", "8", 8, -1)]
    [InlineData("icmp", "3:4", 3, 4)]
    [InlineData("all", null, null, null)]
    public void Check_Ports_ByProtocol(string protocol, string? ports, int? from, int? to)
    {
        var check = Check(f => { f[RequestBlocks.Protocol] = protocol; f[RequestBlocks.Ports] = ports; });
        Assert.True(check.IsValid, string.Join("; ", check.Errors.Values));
        Assert.Equal((from, to), (check.Form!.Rule.FromPort, check.Form.Rule.ToPort));
    }

    [Fact]
    public void Check_AllTrafficWithPorts_AndIcmpOutOfRange_AreRefused()
    {
        Assert.Contains("no ports", Check(f => { f[RequestBlocks.Protocol] = "all"; f[RequestBlocks.Ports] = "22"; }).Errors[RequestBlocks.Ports], StringComparison.Ordinal);
        Assert.Contains("ICMP", Check(f => { f[RequestBlocks.Protocol] = "icmp"; f[RequestBlocks.Ports] = "256"; }).Errors[RequestBlocks.Ports], StringComparison.Ordinal);
        Assert.Contains("IPv6 source", Check(f => { f[RequestBlocks.Protocol] = "icmpv6"; f[RequestBlocks.Ports] = null; }).Errors[RequestBlocks.Source], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0/0", SourceKind.Ipv4Cidr, "0.0.0.0/0", null)]
    [InlineData("192.168.1.7/32", SourceKind.Ipv4Cidr, "192.168.1.7/32", null)]
    [InlineData("::/0", SourceKind.Ipv6Cidr, "::/0", null)]
    [InlineData("2001:DB8::/32", SourceKind.Ipv6Cidr, "2001:db8::/32", null)]
    [InlineData("pl-0123abcd", SourceKind.PrefixList, "pl-0123abcd", null)]
    [InlineData("sg-0123abcd", SourceKind.ReferencedGroup, "sg-0123abcd", null)]
    [InlineData("111111111111/sg-0123abcd", SourceKind.ReferencedGroup, "sg-0123abcd", null)]
    [InlineData("999999999999/sg-0123abcd", SourceKind.ReferencedGroup, "sg-0123abcd", "999999999999")]
    public void Check_Sources(string text, SourceKind kind, string value, string? owner)
    {
        var check = Check(f => f[RequestBlocks.Source] = text);
        Assert.True(check.IsValid, string.Join("; ", check.Errors.Values));
        Assert.Equal((kind, value, owner), (check.Form!.Rule.Source.Kind, check.Form.Rule.Source.Value, check.Form.Rule.Source.UserId));
    }

    [Fact]
    public void Check_AccountByAlias_AndEveryAccountMode()
    {
        Assert.Equal(TestData.Account, Check(f => f[RequestBlocks.Account] = "PROD").Form!.AccountId);
        var every = new PolicyOptions { AllowedAccounts = "*" };
        Assert.Equal("333333333333", Check(f => f[RequestBlocks.Account] = "333333333333", every).Form!.AccountId);
    }

    [Fact]
    public void Check_Egress_WhenPoliced_AndAGroupName()
    {
        var policing = new PolicyOptions { AllowedAccounts = TestData.Account, PoliceEgress = true };
        var check = Check(f => { f[RequestBlocks.Direction] = "egress"; f[RequestBlocks.Group] = "web servers"; }, policing);
        Assert.True(check.Form!.Rule.Egress);
        Assert.Equal(((string?)null, "web servers"), (check.Form.GroupId, check.Form.GroupName));
    }

    [Fact]
    public void Check_Duration_ComesFromTheConfiguredChoices()
    {
        var durations = new ApprovalsOptions { Durations = "30m,permanent" };
        Assert.Equal(TimeSpan.FromMinutes(30), Check(f => f[RequestBlocks.Duration] = "30m", durations: durations).Form!.Duration);
        Assert.Null(Check(f => f[RequestBlocks.Duration] = "permanent", durations: durations).Form!.Duration);
        Assert.Equal("Choose one of: 30m, permanent.", Check(f => f[RequestBlocks.Duration] = "8h", durations: durations).Errors[RequestBlocks.Duration]);
    }
}
