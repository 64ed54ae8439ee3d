using SgBridge.Shared.Domain;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>Each condition of a policy rule, its edges, first-match order and how a request's rules combine.</summary>
public class PolicyEngineTests
{
    private static readonly Dictionary<string, string> Aliases = new() { [TestData.Account] = "dev", ["222222222222"] = "prod" };

    private static PolicyRuleSet Policy(string yaml) => PolicyRuleParser.Parse(yaml, "policy.yaml", Aliases);

    /// <summary>A one-rule policy that approves when <paramref name="when"/> holds (YAML under "when:"). Acknowledged:
    /// these tests are about matching, and one condition alone is often broad enough to need it (PolicyRiskTests).</summary>
    private static PolicyRuleSet When(string when) => Policy($"""
        rules:
          - name: r
            when:
        {Indent(when, 6)}
            outcome: approve
            acknowledge: a test of matching
        """);

    private static string Indent(string text, int n) => string.Join("\n", text.Split('\n').Select(l => new string(' ', n) + l));

    private static PolicyInput Input(params SecurityGroupRule[] rules) => Input(ChangeKind.Add, TestData.SsoUser(), rules);

    private static PolicyInput Input(ChangeKind kind, Requester requester, params SecurityGroupRule[] rules) =>
        new(TestData.Account, TestData.Region, TestData.GroupId, "app-web", "vpc-0123456789abcdef0", requester, kind, rules, ContentUnknown: false);

    private static string Outcome(PolicyRuleSet policy, PolicyInput input) => PolicyEngine.Evaluate(policy, input, Aliases).Decision.Outcome;

    private static bool Matches(string when, SecurityGroupRule rule) => Outcome(When(when), Input(rule)) == "approve";

    private static SecurityGroupRule Tcp(int from, int to, string cidr) => new("tcp", from, to, RuleSource.Ipv4(cidr));

    private static SecurityGroupRule V6(int port, string cidr) => new("tcp", port, port, RuleSource.Ipv6(cidr));

    [Theory]
    [InlineData("account: [111111111111]", true)]
    [InlineData("account: dev", true)]
    [InlineData("account: [prod]", false)]
    [InlineData("account: [222222222222]", false)]
    [InlineData("region: [eu-west-1, us-east-1]", true)]
    [InlineData("region: us-east-1", false)]
    [InlineData("groupId: sg-0123456789abcdef0", true)]
    [InlineData("groupId: sg-0123456789abcdef1", false)]
    [InlineData("groupName: app-*", true)]
    [InlineData("groupName: APP-WEB", true)]
    [InlineData("groupName: db-*", false)]
    [InlineData("vpc: vpc-0123456789abcdef0", true)]
    [InlineData("vpc: vpc-0123456789abcdef1", false)]
    [InlineData("change: [add]", true)]
    [InlineData("change: [remove, modify]", false)]
    [InlineData("protocol: tcp", true)]
    [InlineData("protocol: [udp, all]", false)]
    [InlineData("requester: \"arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*\"", true)]
    [InlineData("requester: \"arn:aws:sts::*:assumed-role/*/alice@example.com\"", true)]
    [InlineData("requester: \"arn:aws:iam::*:role/deploy-*\"", false)]
    [InlineData("timeBound: false", true)]
    [InlineData("timeBound: true", false)]
    public void Condition_OnTheRequest(string when, bool matches) =>
        Assert.Equal(matches, Matches(when, Tcp(8080, 8080, "10.1.2.0/24")));

    [Fact]
    public void TimeBound_HoldsOnlyWhenADurationWasAsked()
    {
        var policy = When("timeBound: true");
        Assert.Equal("approve", Outcome(policy, Input(Tcp(80, 80, "10.0.0.0/8")) with { RequestedDuration = TimeSpan.FromHours(1) }));
        Assert.Equal("ask", Outcome(policy, Input(Tcp(80, 80, "10.0.0.0/8"))));
    }

    [Theory]
    // within: the rule's ports inside a listed range (edges included)
    [InlineData("within: [1024-65535]", 1024, 1024, true)]
    [InlineData("within: [1024-65535]", 1023, 1024, false)]
    [InlineData("within: [1024-65535]", 65535, 65535, true)]
    [InlineData("within: [80, 443]", 443, 443, true)]
    [InlineData("within: [80, 443]", 80, 443, false)]
    // contains: the rule's ports hold a listed range
    [InlineData("contains: [22]", 0, 1023, true)]
    [InlineData("contains: [22]", 23, 1023, false)]
    [InlineData("contains: [20-23]", 21, 1023, false)]
    // equals
    [InlineData("equals: [8000-8100]", 8000, 8100, true)]
    [InlineData("equals: [8000-8100]", 8000, 8099, false)]
    // overlaps: one shared port is enough
    [InlineData("overlaps: [22, 3389]", 3389, 3389, true)]
    [InlineData("overlaps: [22, 3389]", 0, 22, true)]
    [InlineData("overlaps: [22, 3389]", 23, 3388, false)]
    // outside: no shared port
    [InlineData("outside: [22, 3389]", 23, 3388, true)]
    [InlineData("outside: [22, 3389]", 22, 22, false)]
    [InlineData("outside: [22, 3389]", 3000, 4000, false)]
    public void Ports_EachModeAndItsEdges(string mode, int from, int to, bool matches) =>
        Assert.Equal(matches, Matches($"ports:\n  {mode}", Tcp(from, to, "10.0.0.0/8")));

    [Fact]
    public void Ports_AllTrafficIsEveryPort_IcmpHasNone()
    {
        var all = new SecurityGroupRule("-1", null, null, RuleSource.Ipv4("10.0.0.0/8"));
        var icmp = new SecurityGroupRule("icmp", 8, -1, RuleSource.Ipv4("10.0.0.0/8"));
        Assert.True(Matches("ports:\n  overlaps: [22]", all));
        Assert.False(Matches("ports:\n  outside: [22]", all));
        Assert.False(Matches("ports:\n  outside: [22]", icmp));
        Assert.False(Matches("ports:\n  within: [0-65535]", icmp));
        Assert.True(Matches("protocol: icmp", icmp));
    }

    [Fact]
    public void Ports_ABareListMeansWithin() =>
        Assert.Equal([true, false], new[] { 443, 444 }.Select(p => Matches("ports: [80, 443]", Tcp(p, p, "10.0.0.0/8"))));

    [Theory]
    // IPv4 within: the rule's CIDR inside a listed one (a network is within itself)
    [InlineData("within: [10.0.0.0/8]", "10.0.0.0/8", true)]
    [InlineData("within: [10.0.0.0/8]", "10.255.255.255/32", true)]
    [InlineData("within: [10.0.0.0/8]", "11.0.0.0/32", false)]
    [InlineData("within: [10.0.0.0/8]", "10.0.0.0/7", false)]
    [InlineData("within: [10.0.0.0/8]", "0.0.0.0/0", false)]
    [InlineData("within: [172.16.0.0/12]", "172.31.255.0/24", true)]
    [InlineData("within: [172.16.0.0/12]", "172.32.0.0/24", false)]
    // IPv4 contains: the rule's CIDR holds a listed one
    [InlineData("contains: [8.8.8.8]", "0.0.0.0/0", true)]
    [InlineData("contains: [8.8.8.8]", "8.8.8.0/24", true)]
    [InlineData("contains: [8.8.8.8]", "8.8.9.0/24", false)]
    [InlineData("contains: [10.0.0.0/8]", "10.0.0.0/9", false)]
    // equals: the same network (host bits are masked off)
    [InlineData("equals: [0.0.0.0/0]", "0.0.0.0/0", true)]
    [InlineData("equals: [0.0.0.0/0]", "0.0.0.0/1", false)]
    [InlineData("equals: [10.0.0.0/8]", "10.1.2.3/8", true)]
    public void Cidr_Ipv4_WithinContainsEquals(string mode, string cidr, bool matches) =>
        Assert.Equal(matches, Matches($"source:\n  {mode}", Tcp(80, 80, cidr)));

    [Theory]
    [InlineData("within: [\"fc00::/7\"]", "fd12:3456::/32", true)]
    [InlineData("within: [\"fc00::/7\"]", "fe00::/8", false)]
    [InlineData("within: [\"fc00::/7\"]", "::/0", false)]
    [InlineData("within: [\"2001:db8::/32\"]", "2001:db8:ffff:ffff::/64", true)]
    [InlineData("contains: [\"2001:db8::1\"]", "::/0", true)]
    [InlineData("contains: [\"2001:db8::1\"]", "2001:db9::/32", false)]
    [InlineData("equals: [\"::/0\"]", "::/0", true)]
    [InlineData("equals: [\"::/0\"]", "::/1", false)]
    [InlineData("equals: [\"2001:db8::/32\"]", "2001:0db8:0000::/32", true)]
    public void Cidr_Ipv6_WithinContainsEquals(string mode, string cidr, bool matches) =>
        Assert.Equal(matches, Matches($"source:\n  {mode}", V6(443, cidr)));

    [Fact]
    public void Cidr_FamiliesNeverRelate()
    {
        Assert.False(Matches("source:\n  contains: [\"::/0\"]", Tcp(80, 80, "0.0.0.0/0")));
        Assert.False(Matches("source:\n  within: [0.0.0.0/0]", V6(80, "::/0")));
        Assert.True(Matches("source:\n  equals: [0.0.0.0/0, \"::/0\"]", V6(80, "::/0")));
    }

    [Fact]
    public void Source_KindPrefixListAndGroup()
    {
        var pl = new SecurityGroupRule("tcp", 443, 443, RuleSource.PrefixList("pl-0123456789abcdef0"));
        var sameAccount = new SecurityGroupRule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1", TestData.Account));
        var noOwner = new SecurityGroupRule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1"));
        var otherAccount = new SecurityGroupRule("tcp", 443, 443, RuleSource.Group("sg-0aaaaaaaaaaaaaaa1", "999999999999"));

        Assert.True(Matches("source:\n  kind: prefix-list", pl));
        Assert.False(Matches("source:\n  kind: [ipv4, ipv6]", pl));
        Assert.True(Matches("source:\n  prefixList: [pl-0123456789abcdef0]", pl));
        Assert.True(Matches("source:\n  prefixList: \"*\"", pl));
        Assert.False(Matches("source:\n  prefixList: [pl-0123456789abcdef1]", pl));
        Assert.False(Matches("source:\n  prefixList: \"*\"", sameAccount));
        Assert.False(Matches("source:\n  within: [0.0.0.0/0]", pl));

        Assert.True(Matches("source:\n  group: same-account", sameAccount));
        Assert.True(Matches("source:\n  group: same-account", noOwner));
        Assert.False(Matches("source:\n  group: same-account", otherAccount));
        Assert.True(Matches("source:\n  group: [sg-0aaaaaaaaaaaaaaa1]", sameAccount));
        Assert.False(Matches("source:\n  group: [sg-0aaaaaaaaaaaaaaa1]", otherAccount));
        Assert.False(Matches("source:\n  group: [sg-0aaaaaaaaaaaaaaa2]", sameAccount));
        Assert.False(Matches("source:\n  group: same-account", Tcp(443, 443, "10.0.0.0/8")));
    }

    [Fact]
    public void Conditions_AreAnded_ListsAreOred()
    {
        const string when = "region: [us-east-1, eu-west-1]\nports: [443]";
        Assert.True(Matches(when, Tcp(443, 443, "10.0.0.0/8")));
        Assert.False(Matches(when, Tcp(444, 444, "10.0.0.0/8")));
    }

    [Fact]
    public void FirstMatchWins_AndNoMatchAsks()
    {
        var policy = Policy("""
            rules:
              - name: first
                when: { ports: [22] }
                outcome: deny
              - name: second
                when: { ports: [0-65535] }
                outcome: approve
                acknowledge: every port, to test the order of rules
              - name: udp-only
                when: { protocol: udp }
                outcome: deny
            """);
        var ssh = PolicyEngine.Evaluate(policy, Input(Tcp(22, 22, "10.0.0.0/8")), Aliases);
        Assert.Equal(("deny", "first", (int?)2), (ssh.Decision.Outcome, ssh.Decision.Rule, ssh.Decision.Line));
        var web = PolicyEngine.Evaluate(policy, Input(Tcp(443, 443, "10.0.0.0/8")), Aliases);
        Assert.Equal(("approve", "second", (int?)5), (web.Decision.Outcome, web.Decision.Rule, web.Decision.Line));
        Assert.Contains(web.PerRule[0].Skipped, s => s.StartsWith("'first' (line 2): ports 443", StringComparison.Ordinal));
        var icmp = PolicyEngine.Evaluate(policy, Input(new SecurityGroupRule("icmp", -1, -1, RuleSource.Ipv4("10.0.0.0/8"))), Aliases);
        Assert.Equal(("ask", (string?)null, (int?)null), (icmp.Decision.Outcome, icmp.Decision.Rule, icmp.Decision.Line));
        Assert.Contains("no rule matches", icmp.Decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPolicy_Asks() =>
        Assert.Equal("ask", Outcome(Policy("rules: []"), Input(Tcp(443, 443, "10.0.0.0/8"))));

    private static readonly PolicyRuleSet Mixed = Policy("""
        rules:
          - name: deny-ssh
            when: { ports: [22] }
            outcome: deny
          - name: web-day
            when: { ports: [443] }
            outcome: approve
            duration: 24h
          - name: web-hour
            when: { ports: [8443] }
            outcome: approve
            duration: 1h
          - name: forever
            when: { ports: [80] }
            outcome: approve
        """);

    [Fact]
    public void SeveralRules_AnyDenyDenies()
    {
        var e = PolicyEngine.Evaluate(Mixed, Input(Tcp(443, 443, "10.0.0.0/8"), Tcp(22, 22, "10.0.0.0/8"), Tcp(9999, 9999, "10.0.0.0/8")), Aliases);
        Assert.Equal(("deny", "deny-ssh"), (e.Decision.Outcome, e.Decision.Rule));
    }

    [Fact]
    public void SeveralRules_OneAskAsks()
    {
        var e = PolicyEngine.Evaluate(Mixed, Input(Tcp(443, 443, "10.0.0.0/8"), Tcp(9999, 9999, "10.0.0.0/8")), Aliases);
        Assert.Equal(("ask", null), (e.Decision.Outcome, e.Decision.Rule));
        Assert.Contains("not every rule is approved", e.Decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralRules_AllApproved_TakesTheShortestDuration()
    {
        var e = PolicyEngine.Evaluate(Mixed, Input(Tcp(443, 443, "10.0.0.0/8"), Tcp(8443, 8443, "10.0.0.0/8"), Tcp(80, 80, "10.0.0.0/8")), Aliases);
        Assert.Equal(("approve", "web-hour", (TimeSpan?)TimeSpan.FromHours(1)), (e.Decision.Outcome, e.Decision.Rule, e.Decision.Duration));
        var forever = PolicyEngine.Evaluate(Mixed, Input(Tcp(80, 80, "10.0.0.0/8")), Aliases);
        Assert.Equal(("approve", (TimeSpan?)null), (forever.Decision.Outcome, forever.Decision.Duration));
    }

    [Fact]
    public void RequestedDuration_ShortensTheApproval_NeverLengthensIt()
    {
        var input = Input(Tcp(443, 443, "10.0.0.0/8"));
        Assert.Equal(TimeSpan.FromHours(2), PolicyEngine.Evaluate(Mixed, input with { RequestedDuration = TimeSpan.FromHours(2) }, Aliases).Decision.Duration);
        Assert.Equal(TimeSpan.FromHours(24), PolicyEngine.Evaluate(Mixed, input with { RequestedDuration = TimeSpan.FromDays(3) }, Aliases).Decision.Duration);
        Assert.Equal(TimeSpan.FromDays(3), PolicyEngine.Evaluate(Mixed, Input(Tcp(80, 80, "10.0.0.0/8")) with { RequestedDuration = TimeSpan.FromDays(3) }, Aliases).Decision.Duration);
    }

    [Fact]
    public void ContentUnknown_AlwaysAsks()
    {
        var anything = Policy("rules:\n  - name: all\n    outcome: approve\n    acknowledge: everything, knowingly");
        Assert.Equal("ask", Outcome(anything, Input(Tcp(443, 443, "10.0.0.0/8")) with { ContentUnknown = true }));
        Assert.Equal("approve", Outcome(anything, Input(Tcp(443, 443, "10.0.0.0/8"))));
    }

    [Fact]
    public void From_ARequest_UsesTheRulesFoundAndTheEditsNewContent()
    {
        var change = TestData.Change(ChangeKind.Modify) with { Modifications = [new RuleModification("sgr-1", Tcp(22, 22, "0.0.0.0/0"))] };
        var request = ChangeRequest.Open("r1", change, DateTimeOffset.UnixEpoch);
        var input = PolicyInput.From(request);
        Assert.Equal(22, Assert.Single(input.Rules).FromPort);
        Assert.False(input.ContentUnknown);

        var unknown = ChangeRequest.Open("r2", TestData.Change(ChangeKind.Remove) with { RuleIds = ["sgr-9"] }, DateTimeOffset.UnixEpoch);
        Assert.True(PolicyInput.From(unknown).ContentUnknown);
    }

    [Fact]
    public void Sample_DecidesTheIssuesThreeExamples()
    {
        var sample = PolicyRuleParser.Parse(File.ReadAllText(RepoRoot.Sample("policy.yaml")), "policy.yaml", Aliases);
        Assert.Equal(("deny", "deny-internet-admin-and-db"), Decide(sample, Input(Tcp(22, 22, "0.0.0.0/0"))));
        Assert.Equal(("deny", "deny-internet-admin-and-db"), Decide(sample, Input(V6(5432, "::/0"))));
        Assert.Equal(("deny", "deny-internet-admin-and-db"), Decide(sample, Input(new SecurityGroupRule("-1", null, null, RuleSource.Ipv4("0.0.0.0/0")))));
        Assert.Equal(("approve", "dev-private-non-admin"), Decide(sample, Input(Tcp(8080, 8080, "10.20.0.0/16"))));
        Assert.Equal(TimeSpan.FromHours(24), PolicyEngine.Evaluate(sample, Input(Tcp(8080, 8080, "10.20.0.0/16")), Aliases).Decision.Duration);
        Assert.Equal(("ask", "everything-else"), Decide(sample, Input(Tcp(22, 22, "10.20.0.0/16"))));
        Assert.Equal(("ask", "everything-else"), Decide(sample, Input(Tcp(443, 443, "0.0.0.0/0"))));
        Assert.Equal(("ask", "everything-else"), Decide(sample, Input(Tcp(8080, 8080, "10.20.0.0/16")) with { AccountId = "222222222222" }));
    }

    private static (string, string?) Decide(PolicyRuleSet policy, PolicyInput input)
    {
        var d = PolicyEngine.Evaluate(policy, input, Aliases).Decision;
        return (d.Outcome, d.Rule);
    }
}
