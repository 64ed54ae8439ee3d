using SgBridge.Shared.Domain;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>
/// The <c>groupTags</c> condition: how it is written and refused (with the line), how it matches (exact, glob, key
/// present, any of a list, all keys), first match across a tag rule, and what unknown tags do (never approve, never
/// deny, never pass to a later rule: ask, saying why).
/// </summary>
public class PolicyTagConditionTests
{
    private static readonly Dictionary<string, string> Aliases = new() { [TestData.Account] = "dev" };

    private static PolicyRuleSet Policy(string yaml, string source = "policy.yaml") => PolicyRuleParser.Parse(yaml, source, Aliases);

    private static PolicyError Error(string yaml) =>
        Assert.Single(Assert.Throws<PolicyFileException>(() => Policy(yaml)).Errors);

    /// <summary>One rule approving when the groupTags on line 5 hold.</summary>
    private static string TagRule(string tags, string outcome = "approve") => $"""
        rules:
          - name: r
            when:
              ports: [443]
              groupTags: {tags}
            outcome: {outcome}
        """;

    private static SecurityGroupRule Https(string cidr = "10.1.0.0/16") => new("tcp", 443, 443, RuleSource.Ipv4(cidr));

    private static PolicyInput Input(GroupTags tags, params SecurityGroupRule[] rules) =>
        new(TestData.Account, TestData.Region, TestData.GroupId, "app-web", "vpc-0123456789abcdef0", TestData.SsoUser(), ChangeKind.Add,
            rules.Length == 0 ? [Https()] : rules, ContentUnknown: false, Tags: tags);

    private static GroupTags Tags(params (string Key, string Value)[] tags) =>
        GroupTags.Known(tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));

    private static PolicyEvaluation Evaluate(PolicyRuleSet policy, PolicyInput input) => PolicyEngine.Evaluate(policy, input, Aliases);

    // Parsing

    [Fact]
    public void Parse_Mapping_KeysAndValuesKept()
    {
        var rule = Assert.Single(Policy(TagRule("{ env: dev, team: \"pay*\", owner: \"*\", tier: [web, api], empty: \"\" }")).Rules);
        Assert.Equal(
            [new TagCondition("env", ["dev"]).ToString(), "team=pay*", "owner=*", "tier=[web, api]", "empty="],
            rule.When.GroupTags!.Select(t => t.ToString()));
    }

    [Fact]
    public void Parse_Json_LikeYaml()
    {
        var json = """
            {"rules": [
              {"name": "r",
               "when": {"groupTags": {"env": ["dev", "test"], "aws:cloudformation:stack-name": "pay-*"}},
               "outcome": "approve", "acknowledge": "dev and test stacks take anything"}
            ]}
            """;
        var tags = Assert.Single(Policy(json, "policy.json").Rules).When.GroupTags!;
        Assert.Equal(["env=[dev, test]", "aws:cloudformation:stack-name=pay-*"], tags.Select(t => t.ToString()));
    }

    [Theory]
    [InlineData("[env, team]", 5, "must be a mapping of tag key to value")]
    [InlineData("env", 5, "must be a mapping of tag key to value")]
    [InlineData("{}", 5, "must be a mapping of tag key to value")]
    [InlineData("{ env: }", 5, "tag 'env' in 'groupTags' in rule 'r' has no value")]
    [InlineData("{ env: ~ }", 5, "has no value")]
    [InlineData("{ env: [] }", 5, "has an empty list")]
    [InlineData("{ env: [dev, ~] }", 5, "has no value")]
    [InlineData("{ env: { is: dev } }", 5, "must be a value or a list of values")]
    [InlineData("{ env: [[dev]] }", 5, "must be a value or a list of values")]
    [InlineData("{ \"\": dev }", 5, "tag key '' in 'groupTags' in rule 'r' must be 1-128 characters")]
    public void Parse_Refused_WithItsLine(string tags, int line, string message)
    {
        var error = Error(TagRule(tags));
        Assert.Equal(("policy.yaml", line), (error.Source, error.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MultiLineMapping_NamesTheValuesOwnLine()
    {
        var error = Error("rules:\n  - name: r\n    when:\n      groupTags:\n        env: dev\n        team:\n    outcome: approve\n");
        Assert.Equal(6, error.Line);
        Assert.Contains("tag 'team'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyAndValueLengths_AtAwsLimits()
    {
        Assert.Single(Policy(TagRule($"{{ {new string('k', 128)}: {new string('v', 256)} }}")).Rules);
        Assert.Contains("must be 1-128 characters", Error(TagRule($"{{ {new string('k', 129)}: v }}")).Message, StringComparison.Ordinal);
        Assert.Contains("at most 256", Error(TagRule($"{{ k: {new string('v', 257)} }}")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tags")]
    [InlineData("groupTag")]
    public void Parse_OtherSpellings_PointToGroupTags(string key)
    {
        var error = Error($"rules:\n  - name: r\n    when:\n      {key}: {{ env: dev }}\n    outcome: approve\n");
        Assert.Equal(4, error.Line);
        Assert.Contains("write 'groupTags'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnquotedStar_IsAYamlErrorWithItsLine()
    {
        // YAML reads an unquoted * as an alias: the file is refused, naming the line (docs/policy.md says to quote it).
        var error = Error(TagRule("{ owner: * }"));
        Assert.Equal(5, error.Line);
    }

    // Matching

    [Theory]
    [InlineData("{ env: dev }", "env", "dev", true)]
    [InlineData("{ env: dev }", "env", "Dev", false)]          // values are case-sensitive, as in AWS
    [InlineData("{ env: dev }", "Env", "dev", false)]          // so are keys
    [InlineData("{ env: dev }", "env", "dev2", false)]
    [InlineData("{ env: dev }", "other", "dev", false)]
    [InlineData("{ team: \"pay*\" }", "team", "payments", true)]
    [InlineData("{ team: \"pay*\" }", "team", "pay", true)]
    [InlineData("{ team: \"pay*\" }", "team", "xpay", false)]
    [InlineData("{ team: \"p?y\" }", "team", "pay", true)]
    [InlineData("{ team: \"p?y\" }", "team", "py", false)]
    [InlineData("{ owner: \"*\" }", "owner", "", true)]         // key present, any value, even empty
    [InlineData("{ owner: \"*\" }", "owner", "alice", true)]
    [InlineData("{ owner: \"*\" }", "owners", "alice", false)]
    [InlineData("{ owner: \"\" }", "owner", "", true)]          // exactly empty
    [InlineData("{ owner: \"\" }", "owner", "alice", false)]
    [InlineData("{ tier: [web, api] }", "tier", "api", true)]
    [InlineData("{ tier: [web, api] }", "tier", "db", false)]
    public void Match_OneTag(string condition, string key, string value, bool matches) =>
        Assert.Equal(matches ? "approve" : "ask", Evaluate(Policy(TagRule(condition)), Input(Tags((key, value)))).Decision.Outcome);

    [Fact]
    public void Match_EveryKeyMustHold()
    {
        var policy = Policy(TagRule("{ env: dev, team: \"pay*\" }"));
        Assert.Equal("approve", Evaluate(policy, Input(Tags(("env", "dev"), ("team", "payments"), ("x", "y")))).Decision.Outcome);
        var miss = Evaluate(policy, Input(Tags(("env", "dev"))));
        Assert.Equal("ask", miss.Decision.Outcome);
        Assert.Contains("'r' (line 2): the group has no tag team", Assert.Single(miss.PerRule).Skipped.Single(), StringComparison.Ordinal);
        var wrong = Evaluate(policy, Input(Tags(("env", "prod"), ("team", "payments"))));
        Assert.Contains("tag env=prod does not match dev", Assert.Single(wrong.PerRule).Skipped.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void FirstMatchWins_AcrossATagRule()
    {
        var policy = Policy("""
            rules:
              - name: prod-deny
                when: { groupTags: { env: prod } }
                outcome: deny
              - name: dev-approve
                when: { groupTags: { env: dev } }
                outcome: approve
                duration: 8h
                acknowledge: dev groups take anything
              - name: rest
                outcome: ask
            """);
        var prod = Evaluate(policy, Input(Tags(("env", "prod"))));
        Assert.Equal(("deny", "prod-deny", 2), (prod.Decision.Outcome, prod.Decision.Rule, prod.Decision.Line));
        var dev = Evaluate(policy, Input(Tags(("env", "dev"))));
        Assert.Equal(("approve", "dev-approve", (TimeSpan?)TimeSpan.FromHours(8)), (dev.Decision.Outcome, dev.Decision.Rule, dev.Decision.Duration));
        var untagged = Evaluate(policy, Input(Tags()));
        Assert.Equal(("ask", "rest"), (untagged.Decision.Outcome, untagged.Decision.Rule));
        Assert.Equal(2, Assert.Single(untagged.PerRule).Skipped.Count);
    }

    // Not read / unknown

    private static readonly PolicyRuleSet DenyThenApprove = Policy("""
        rules:
          - name: prod-internet
            when:
              source: { equals: [0.0.0.0/0] }
              groupTags: { env: prod }
            outcome: deny
          - name: anything-https
            when: { ports: [443] }
            outcome: approve
        """);

    [Fact]
    public void NotRead_RuleReached_AsksAndSaysTagsAreNeeded()
    {
        var e = Evaluate(DenyThenApprove, Input(GroupTags.NotRead, Https("0.0.0.0/0")));
        Assert.True(e.NeedsTags);
        Assert.Equal(("ask", "prod-internet", 2), (e.Decision.Outcome, e.Decision.Rule, e.Decision.Line));
        Assert.Contains("tags are needed and were not read", e.Decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NotRead_TagRuleNotReached_NoTagsNeeded()
    {
        // The first rule's other conditions fail (a different port): its tag condition is never consulted.
        var policy = Policy("""
            rules:
              - name: tagged
                when: { ports: [22], groupTags: { env: dev } }
                outcome: approve
                acknowledge: dev groups take SSH
              - name: https
                when: { ports: [443] }
                outcome: approve
            """);
        var e = Evaluate(policy, Input(GroupTags.NotRead));
        Assert.False(e.NeedsTags);
        Assert.Equal(("approve", "https"), (e.Decision.Outcome, e.Decision.Rule));
        // A rule decided before the tag rule needs no tags either.
        var before = Policy("rules:\n  - name: all\n    outcome: ask\n  - name: tagged\n    when: { groupTags: { env: dev } }\n    outcome: approve\n    acknowledge: dev groups take anything\n");
        Assert.False(Evaluate(before, Input(GroupTags.NotRead)).NeedsTags);
    }

    [Fact]
    public void Unknown_ApproveRule_IsNotMatched_Asks_WithTheReason()
    {
        var policy = Policy(TagRule("{ env: dev }"));
        var e = Evaluate(policy, Input(GroupTags.Unknown("the group's tags could not be read: EC2 throttled the read (RequestLimitExceeded)")));
        Assert.False(e.NeedsTags);
        Assert.Equal(("ask", "r"), (e.Decision.Outcome, e.Decision.Rule));
        Assert.Contains("would say approve if the group's tags match env=dev, but they are not known", e.Decision.Reason, StringComparison.Ordinal);
        Assert.Contains("tags could not be read: EC2 throttled", e.Decision.Reason, StringComparison.Ordinal);
        Assert.Equal(PolicyOutcome.Ask, Assert.Single(e.PerRule).Outcome);
    }

    [Fact]
    public void Unknown_DenyRule_NeitherDeniesNorFallsThroughToALaterApprove()
    {
        // 0.0.0.0/0 on 443: the deny rule would hold on a prod group; with unknown tags a person decides. Falling
        // through would let 'anything-https' approve what the deny rule exists to stop.
        var e = Evaluate(DenyThenApprove, Input(GroupTags.Unknown("the group's tags could not be read: no answer from EC2 within 2 s"), Https("0.0.0.0/0")));
        Assert.Equal(("ask", "prod-internet"), (e.Decision.Outcome, e.Decision.Rule));
        Assert.Contains("would say deny", e.Decision.Reason, StringComparison.Ordinal);
        // Known tags decide either way.
        Assert.Equal("deny", Evaluate(DenyThenApprove, Input(Tags(("env", "prod")), Https("0.0.0.0/0"))).Decision.Outcome);
        Assert.Equal("approve", Evaluate(DenyThenApprove, Input(Tags(("env", "dev")), Https("0.0.0.0/0"))).Decision.Outcome);
    }

    [Fact]
    public void Unknown_ADenyForSureElsewhereInTheRequest_StillDenies_WithoutTags()
    {
        var policy = Policy("""
            rules:
              - name: no-ssh
                when: { ports: [22] }
                outcome: deny
              - name: dev
                when: { groupTags: { env: dev } }
                outcome: approve
                acknowledge: dev groups take anything
            """);
        var e = Evaluate(policy, Input(GroupTags.NotRead, Https(), new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"))));
        Assert.False(e.NeedsTags);
        Assert.Equal(("deny", "no-ssh"), (e.Decision.Outcome, e.Decision.Rule));
    }

    [Fact]
    public void ContentUnknown_NeedsNoTags()
    {
        var e = Evaluate(Policy(TagRule("{ env: dev }")), Input(GroupTags.NotRead) with { ContentUnknown = true });
        Assert.False(e.NeedsTags);
        Assert.Equal("ask", e.Decision.Outcome);
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "anything", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbbd", false)]
    [InlineData("**", "", true)]
    [InlineData("?", "", false)]
    [InlineData("a", "A", false)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    public void TagPattern_Glob(string pattern, string value, bool matches) => Assert.Equal(matches, Glob.Matches(pattern, value, ignoreCase: false));
}

/// <summary>samples/policy-tags.yaml: valid, and it decides as its comments say.</summary>
public class PolicyTagSampleTests
{
    private static readonly PolicyRuleSet Sample = PolicyRuleParser.Parse(File.ReadAllText(RepoRoot.Sample("policy-tags.yaml")), "policy-tags.yaml");

    private static PolicyEvaluation Decide(string cidr, int port, GroupTags tags) =>
        PolicyEngine.Evaluate(Sample, new PolicyInput(TestData.Account, TestData.Region, TestData.GroupId, "g", null, TestData.SsoUser(), ChangeKind.Add,
            [new SecurityGroupRule("tcp", port, port, RuleSource.Ipv4(cidr))], ContentUnknown: false, Tags: tags), new Dictionary<string, string>());

    private static GroupTags Tags(params string[] pairs) =>
        GroupTags.Known(pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal));

    [Fact]
    public void Sample_DecidesAsCommented()
    {
        Assert.Equal(["deny-internet-admin-and-db", "prod-internet-asks", "dev-team-private", "everything-else"], Sample.Rules.Select(r => r.Name));
        Assert.Equal(("deny", false), (Decide("0.0.0.0/0", 22, GroupTags.NotRead).Decision.Outcome, Decide("0.0.0.0/0", 22, GroupTags.NotRead).NeedsTags));
        Assert.Equal(("ask", "prod-internet-asks"), (Decide("0.0.0.0/0", 443, Tags("env=prod")).Decision.Outcome, Decide("0.0.0.0/0", 443, Tags("env=prod")).Decision.Rule));
        Assert.Equal(("approve", "dev-team-private"), (Decide("10.2.0.0/16", 8080, Tags("env=sandbox-7", "team=pay")).Decision.Outcome, Decide("10.2.0.0/16", 8080, Tags("env=sandbox-7", "team=pay")).Decision.Rule));
        Assert.Equal("ask", Decide("10.2.0.0/16", 8080, Tags("env=dev")).Decision.Outcome); // no team tag
        Assert.Equal("ask", Decide("10.2.0.0/16", 8080, GroupTags.Unknown("the group's tags could not be read: x")).Decision.Outcome);
    }
}
