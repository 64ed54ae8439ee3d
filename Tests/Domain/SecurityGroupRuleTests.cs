using SgBridge.Shared.Domain;

namespace SgBridge.Tests.Domain;

public class SecurityGroupRuleTests
{
    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("all", "-1")]
    [InlineData("6", "tcp")]
    [InlineData("TCP", "tcp")]
    [InlineData("17", "udp")]
    [InlineData("1", "icmp")]
    [InlineData("58", "icmpv6")]
    [InlineData("50", "50")]
    [InlineData(null, "-1")]
    public void NormaliseProtocol_MapsNamesAndNumbers(string? input, string expected) =>
        Assert.Equal(expected, SecurityGroupRule.NormaliseProtocol(input));

    [Fact]
    public void SameAccessAs_IgnoresDescriptionAndRuleId()
    {
        var a = new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "one", "sgr-1");
        var b = new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "two", "sgr-2");
        Assert.True(a.SameAccessAs(b));
        Assert.False(a.SameAccessAs(b with { ToPort = 23 }));
        Assert.False(a.SameAccessAs(b with { Source = RuleSource.Ipv4("10.0.0.0/16") }));
    }

    [Fact]
    public void SameAccessAs_AllTraffic_IgnoresPorts()
    {
        var a = new SecurityGroupRule("-1", null, null, RuleSource.Group("sg-1"));
        var b = new SecurityGroupRule("-1", -1, -1, RuleSource.Group("sg-1", "111111111111"));
        Assert.True(a.SameAccessAs(b));
    }

    [Theory]
    [InlineData("tcp", 22, 22, "TCP 22 from 0.0.0.0/0")]
    [InlineData("tcp", 8000, 8100, "TCP 8000-8100 from 0.0.0.0/0")]
    [InlineData("-1", null, null, "all traffic from 0.0.0.0/0")]
    [InlineData("icmp", 8, -1, "ICMP type 8 from 0.0.0.0/0")]
    [InlineData("icmp", -1, -1, "ICMP all types from 0.0.0.0/0")]
    [InlineData("50", null, null, "protocol 50 all from 0.0.0.0/0")]
    public void Describe_ReadsLikeAConsoleRow(string protocol, int? from, int? to, string expected) =>
        Assert.Equal(expected, new SecurityGroupRule(protocol, from, to, RuleSource.Ipv4("0.0.0.0/0")).Describe());
}
