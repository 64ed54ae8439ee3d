using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Tests.Reconcile;

/// <summary>The pure difference between approved and live rules, and the EC2 writes that undo it.</summary>
public class GroupDifferenceTests
{
    private const string Group = "sg-0123456789abcdef0";

    private static SecurityGroupRule Rule(string protocol, int? from, int? to, RuleSource source, string? description = null, string? id = null) =>
        new(protocol, from, to, source, description, id);

    private static SecurityGroupRule Tcp(int port, string cidr, string? description = null, string? id = null) =>
        Rule("tcp", port, port, RuleSource.Ipv4(cidr), description, id);

    [Fact]
    public void Compute_SameRules_IsEmpty_AndLearnsRuleIds()
    {
        var approved = new[] { Tcp(22, "10.0.0.0/8", "ssh") };
        var live = new[] { Tcp(22, "10.0.0.0/8", "ssh", "sgr-000000000000000a1") };

        var d = GroupDifference.Compute(approved, live);

        Assert.True(d.IsEmpty);
        Assert.Equal("sgr-000000000000000a1", Assert.Single(d.RuleIds).RuleId);
    }

    [Fact]
    public void Compute_UnapprovedRule_IsRevokedById()
    {
        var live = new[] { Tcp(22, "0.0.0.0/0", id: "sgr-000000000000000b1") };

        var d = GroupDifference.Compute([], live);

        Assert.Equal(DifferenceKind.Unapproved, Assert.Single(d.Items).Kind);
        var write = Assert.IsType<RevokeIngressByIds>(Assert.Single(GroupDifference.Writes(Group, d.Items)));
        Assert.Equal(["sgr-000000000000000b1"], write.RuleIds);
    }

    [Fact]
    public void Compute_MissingApprovedRule_IsAuthorisedWithItsDescriptionAndNoId()
    {
        var approved = new[] { Tcp(5432, "10.1.0.0/16", "app servers", "sgr-000000000000000c1") };

        var d = GroupDifference.Compute(approved, []);

        Assert.Equal(DifferenceKind.Missing, Assert.Single(d.Items).Kind);
        var rule = Assert.Single(Assert.IsType<AuthorizeIngress>(Assert.Single(GroupDifference.Writes(Group, d.Items))).Rules);
        Assert.Equal(("app servers", (string?)null), (rule.Description, rule.RuleId));
    }

    [Fact]
    public void Compute_ContentChangedUnderTheSameRuleId_IsModifiedBack()
    {
        var approved = new[] { Tcp(443, "10.0.0.0/8", "https", "sgr-000000000000000d1") };
        var live = new[] { Tcp(443, "0.0.0.0/0", "https", "sgr-000000000000000d1") };

        var d = GroupDifference.Compute(approved, live);

        var item = Assert.Single(d.Items);
        Assert.Equal(DifferenceKind.Changed, item.Kind);
        var modification = Assert.Single(Assert.IsType<ModifyRules>(Assert.Single(GroupDifference.Writes(Group, d.Items))).Modifications);
        Assert.Equal(("sgr-000000000000000d1", "10.0.0.0/8"), (modification.RuleId, modification.After.Source.Value));
    }

    [Fact]
    public void Compute_OnlyTheDescriptionChanged_IsModifiedBack()
    {
        var approved = new[] { Tcp(22, "10.0.0.0/8", "admins", "sgr-000000000000000e1") };
        var live = new[] { Tcp(22, "10.0.0.0/8", "<!channel> hi", "sgr-000000000000000e1") };

        Assert.Equal(DifferenceKind.Changed, Assert.Single(GroupDifference.Compute(approved, live).Items).Kind);
    }

    [Fact]
    public void Compute_ApprovedRuleReAddedUnderANewId_IsNoDifference_AndTheNewIdIsLearnt()
    {
        var approved = new[] { Tcp(22, "10.0.0.0/8", "ssh", "sgr-000000000000000f1") };
        var live = new[] { Tcp(22, "10.0.0.0/8", "ssh", "sgr-000000000000000f2") };

        var d = GroupDifference.Compute(approved, live);

        Assert.True(d.IsEmpty);
        Assert.Equal("sgr-000000000000000f2", Assert.Single(d.RuleIds).RuleId);
    }

    public static TheoryData<SecurityGroupRule, SecurityGroupRule> DifferentAccess => new()
    {
        { Tcp(22, "10.0.0.0/8"), Tcp(22, "10.0.0.0/16") },
        { Tcp(22, "10.0.0.0/8"), Tcp(23, "10.0.0.0/8") },
        { Rule("tcp", 1000, 2000, RuleSource.Ipv4("10.0.0.0/8")), Rule("tcp", 1000, 2001, RuleSource.Ipv4("10.0.0.0/8")) },
        { Rule("tcp", 22, 22, RuleSource.Ipv6("2001:db8::/32")), Rule("tcp", 22, 22, RuleSource.Ipv6("::/0")) },
        { Rule("tcp", 443, 443, RuleSource.PrefixList("pl-0123456789abcdef0")), Rule("tcp", 443, 443, RuleSource.PrefixList("pl-0123456789abcdef1")) },
        { Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1")), Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa2")) },
        { Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1", "111111111111")), Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1", "222222222222")) },
        { Rule("icmp", 8, -1, RuleSource.Ipv4("10.0.0.0/8")), Rule("icmp", 0, -1, RuleSource.Ipv4("10.0.0.0/8")) },
        { Rule("icmp", 3, 4, RuleSource.Ipv4("10.0.0.0/8")), Rule("icmp", 3, 3, RuleSource.Ipv4("10.0.0.0/8")) },
        { Rule("udp", 53, 53, RuleSource.Ipv4("10.0.0.0/8")), Rule("tcp", 53, 53, RuleSource.Ipv4("10.0.0.0/8")) },
        { Rule("-1", null, null, RuleSource.Ipv4("10.0.0.0/8")), Rule("tcp", 0, 65535, RuleSource.Ipv4("10.0.0.0/8")) },
        { Tcp(22, "10.0.0.0/8"), Tcp(22, "10.0.0.0/8") with { Egress = true } },
    };

    [Theory]
    [MemberData(nameof(DifferentAccess))]
    public void Compute_DifferentAccess_IsOneMissingAndOneUnapproved(SecurityGroupRule approved, SecurityGroupRule live)
    {
        var d = GroupDifference.Compute([approved], [live with { RuleId = "sgr-00000000000000011" }]);

        Assert.Equal([DifferenceKind.Unapproved, DifferenceKind.Missing], d.Items.Select(i => i.Kind).Order());
    }

    public static TheoryData<SecurityGroupRule, SecurityGroupRule> SameAccess => new()
    {
        // All traffic: ports do not count. Same-account group reference: the owner may be absent on one side.
        { Rule("-1", null, null, RuleSource.Ipv4("10.0.0.0/8")), Rule("-1", -1, -1, RuleSource.Ipv4("10.0.0.0/8")) },
        { Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1")), Rule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1", "111111111111")) },
        { Rule("icmpv6", -1, -1, RuleSource.Ipv6("2001:db8::/32")), Rule("icmpv6", -1, -1, RuleSource.Ipv6("2001:DB8::/32")) },
        { Rule("tcp", 443, 443, RuleSource.PrefixList("pl-0123456789abcdef0")), Rule("tcp", 443, 443, RuleSource.PrefixList("pl-0123456789abcdef0")) },
    };

    [Theory]
    [MemberData(nameof(SameAccess))]
    public void Compute_SameAccess_IsNoDifference(SecurityGroupRule approved, SecurityGroupRule live) =>
        Assert.True(GroupDifference.Compute([approved], [live with { RuleId = "sgr-00000000000000012" }]).IsEmpty);

    [Fact]
    public void Compute_SeveralSourcesOfOnePermission_AreSeparateRules()
    {
        // One console permission "TCP 22 from A, B, C" is three rules; only B is unapproved.
        var approved = new[] { Tcp(22, "10.0.0.0/8"), Tcp(22, "192.168.0.0/16") };
        var live = new[] { Tcp(22, "10.0.0.0/8", id: "sgr-00000000000000021"), Tcp(22, "0.0.0.0/0", id: "sgr-00000000000000022"), Tcp(22, "192.168.0.0/16", id: "sgr-00000000000000023") };

        var d = GroupDifference.Compute(approved, live);

        Assert.Equal("sgr-00000000000000022", Assert.Single(d.Items).Live!.RuleId);
    }

    [Fact]
    public void Writes_MixedDifferences_RevokeFirstThenModifyThenAuthorise_OneCallEach()
    {
        var approved = new[] { Tcp(22, "10.0.0.0/8", "a", "sgr-00000000000000031"), Tcp(80, "10.0.0.0/8", "b"), Tcp(25, "0.0.0.0/0", "out") with { Egress = true } };
        var live = new[]
        {
            Tcp(22, "0.0.0.0/0", "a", "sgr-00000000000000031"),
            Tcp(3389, "0.0.0.0/0", id: "sgr-00000000000000032"),
            Tcp(3306, "0.0.0.0/0", id: "sgr-00000000000000033"),
            Tcp(0, "0.0.0.0/0", id: "sgr-00000000000000034") with { Egress = true },
        };

        var writes = GroupDifference.Writes(Group, GroupDifference.Compute(approved, live).Items);

        Assert.Equal([typeof(RevokeIngressByIds), typeof(RevokeEgressByIds), typeof(ModifyRules), typeof(AuthorizeIngress), typeof(AuthorizeEgress)], writes.Select(w => w.GetType()));
        Assert.Equal(2, ((RevokeIngressByIds)writes[0]).RuleIds.Count);
    }

    [Fact]
    public void Key_IsStableAcrossDescribes_AndDiffersByContent()
    {
        var a = GroupDifference.Compute([], [Tcp(22, "0.0.0.0/0", id: "sgr-00000000000000041")]).Items[0].Key;
        var b = GroupDifference.Compute([], [Tcp(22, "0.0.0.0/0", id: "sgr-00000000000000041")]).Items[0].Key;
        var c = GroupDifference.Compute([Tcp(22, "10.0.0.0/8", id: "sgr-00000000000000041")], [Tcp(22, "0.0.0.0/0", id: "sgr-00000000000000041")]).Items[0].Key;
        var d = GroupDifference.Compute([Tcp(22, "10.0.0.0/8", id: "sgr-00000000000000041")], [Tcp(22, "1.0.0.0/8", id: "sgr-00000000000000041")]).Items[0].Key;

        Assert.Equal(a, b);
        Assert.NotEqual(c, d);
    }
}
