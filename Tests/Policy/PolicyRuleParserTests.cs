using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>Start-up validation of the policy file: each mistake is refused with the file, the line and what is wrong.</summary>
public class PolicyRuleParserTests
{
    private static readonly Dictionary<string, string> Aliases = new() { ["111111111111"] = "dev" };

    private static PolicyError Error(string text, string source = "policy.yaml") =>
        Assert.Single(Assert.Throws<PolicyFileException>(() => PolicyRuleParser.Parse(text, source, Aliases)).Errors);

    /// <summary>A one-rule YAML policy; the line that varies is line 4. An approve carries an acknowledgement: these tests
    /// are about conditions, and a one-condition approve is often broad enough to need one (PolicyRiskTests).</summary>
    private static string Rule(string line, string outcome = "approve") => $"""
        rules:
          - name: r
            when:
              {line}
            outcome: {outcome}

        """ + (outcome == "approve" ? "    acknowledge: a test of conditions\n" : "");

    [Fact]
    public void UnclosedFlowSequence_RefusedWithFileAndLine_NotABareException()
    {
        var error = Error("rules:\n  - name: r\n    when:\n      ports: [22, 3389\n    outcome: deny\n");

        Assert.Equal(("policy.yaml", 4), (error.Source, error.Line));
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prots: [22]", "unknown key 'prots'")]
    [InlineData("account: [12345]", "account '12345'")]
    [InlineData("account: [staging]", "neither a 12-digit account id nor an alias")]
    [InlineData("region: [EU-West-1]", "region 'EU-West-1'")]
    [InlineData("region: [eu-west-9]", "region 'eu-west-9'")]
    [InlineData("groupId: [sg-zz]", "groupId 'sg-zz'")]
    [InlineData("vpc: [vpc-1]", "vpc 'vpc-1'")]
    [InlineData("change: [delete]", "change 'delete'")]
    [InlineData("protocol: [tcpp]", "protocol 'tcpp'")]
    [InlineData("protocol: [256]", "protocol '256'")]
    [InlineData("ports: [65536]", "port '65536'")]
    [InlineData("ports: [-1]", "port '-1'")]
    [InlineData("ports: [100-99]", "port '100-99'")]
    [InlineData("ports: [http]", "port 'http'")]
    [InlineData("ports: { around: [22] }", "unknown key 'around'")]
    [InlineData("ports: { within: [22], outside: [23] }", "exactly one of")]
    [InlineData("source: { within: [10.0.0.0/33] }", "'10.0.0.0/33'")]
    [InlineData("source: { within: [10.0.0/8] }", "'10.0.0/8'")]
    [InlineData("source: { equals: [\"2001:db8::/129\"] }", "'2001:db8::/129'")]
    [InlineData("source: { within: [10.0.0.0/8], equals: [10.0.0.0/8] }", "more than one of within, contains, equals")]
    [InlineData("source: { kind: [cidr4] }", "source kind 'cidr4'")]
    [InlineData("source: { prefixList: [pl-x] }", "prefixList 'pl-x'")]
    [InlineData("source: { group: [other-account] }", "group 'other-account'")]
    [InlineData("source: { cidr: [10.0.0.0/8] }", "unknown key 'cidr'")]
    [InlineData("requester: [DeployRole]", "requester 'DeployRole'")]
    [InlineData("timeBound: maybe", "timeBound")]
    [InlineData("region: []", "non-empty list")]
    [InlineData("region: [\"\"]", "empty value")]
    public void Condition_Refused_WithItsLine(string line, string message)
    {
        var error = Error(Rule(line));
        Assert.Equal(("policy.yaml", 4), (error.Source, error.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("policy.yaml line 4: ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("allow", "outcome 'allow'")]
    [InlineData("1", "outcome '1'")]
    public void UnknownOutcome_Refused(string outcome, string message)
    {
        var error = Error(Rule("region: eu-west-1", outcome));
        Assert.Equal(5, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deny")]
    [InlineData("ask")]
    public void DurationOnDenyOrAsk_Refused(string outcome)
    {
        var error = Error($"rules:\n  - name: r\n    outcome: {outcome}\n    duration: 24h\n");
        Assert.Equal(4, error.Line);
        Assert.Contains("only approve takes a duration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0h")]
    [InlineData("24")]
    [InlineData("1y")]
    [InlineData("-1h")]
    [InlineData("366d")]
    [InlineData("1.5h")]
    public void BadDuration_Refused(string duration)
    {
        var error = Error($"rules:\n  - name: r\n    outcome: approve\n    duration: {duration}\n");
        Assert.Equal(4, error.Line);
        Assert.Contains($"duration '{duration}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30m", 30)]
    [InlineData("8h", 480)]
    [InlineData("7d", 10080)]
    [InlineData("2w", 20160)]
    [InlineData("365d", 525600)]
    public void Duration_Units(string duration, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), PolicyRuleParser.Parse($"rules:\n  - name: r\n    outcome: approve\n    duration: {duration}\n    acknowledge: a test of durations\n", "p.yaml").Rules[0].Duration);

    [Fact]
    public void RuleLevelMistakes_EachNamed()
    {
        Assert.Contains("needs a 'name'", Error("rules:\n  - outcome: ask\n").Message, StringComparison.Ordinal);
        Assert.Contains("needs an 'outcome'", Error("rules:\n  - name: r\n").Message, StringComparison.Ordinal);
        Assert.Contains("unknown key 'then'", Error("rules:\n  - name: r\n    outcome: ask\n    then: x\n").Message, StringComparison.Ordinal);
        Assert.Contains("must be 1-64 letters", Error("rules:\n  - name: \"a b\"\n    outcome: ask\n").Message, StringComparison.Ordinal);
        var twice = Error("rules:\n  - name: r\n    outcome: ask\n  - name: R\n    outcome: deny\n");
        Assert.Equal(4, twice.Line);
        Assert.Contains("used twice (first on line 2)", twice.Message, StringComparison.Ordinal);
        var misspelt = Assert.Throws<PolicyFileException>(() => PolicyRuleParser.Parse("rule: []\n", "policy.yaml")).Errors;
        Assert.Equal(["policy.yaml line 1: unknown key 'rule' in the policy (known: rules)", "policy.yaml line 1: the policy has no 'rules' list"], misspelt.Select(e => e.ToString()));
        Assert.Contains("no 'rules' list", Error("{}\n").Message, StringComparison.Ordinal);
        Assert.Contains("must be a list of rules", Error("rules: x\n").Message, StringComparison.Ordinal);
        var duplicate = Error("rules: []\nrules: []\n");
        Assert.Equal(2, duplicate.Line);
        Assert.Contains("Duplicate key rules", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("appears twice", Error("{\"rules\": [],\n \"rules\": []}", "policy.json").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryError_IsReportedAtOnce()
    {
        var ex = Assert.Throws<PolicyFileException>(() => PolicyRuleParser.Parse("rules:\n  - name: a\n    when: { ports: [99999], region: x }\n    outcome: nope\n", "policy.yaml"));
        Assert.Equal(3, ex.Errors.Count);
        Assert.Equal([3, 3, 4], ex.Errors.Select(e => e.Line).Order());
    }

    [Fact]
    public void BrokenYaml_NamesTheLine()
    {
        var error = Error("rules:\n  - name: r\n    outcome: [ask\n");
        Assert.True(error.Line >= 3, error.ToString());
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ErrorsNameTheLine()
    {
        const string json = """
            {
              "rules": [
                { "name": "r",
                  "when": { "ports": { "within": [22] }, "source": { "within": ["10.0.0.0/8"] } },
                  "outcome": "approve", "duration": "24h" },
                { "name": "bad",
                  "when": { "ports": [70000] },
                  "outcome": "deny" }
              ]
            }
            """;
        var error = Error(json, "policy.json");
        Assert.Equal(("policy.json", 7), (error.Source, error.Line));
        Assert.Contains("port '70000'", error.Message, StringComparison.Ordinal);

        var broken = Error("{\n  \"rules\": [\n    { \"name\": \"r\", }\n  ]\n}", "policy.json");
        Assert.Equal(3, broken.Line);
        Assert.Contains("not valid JSON", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ParsesLikeYaml()
    {
        const string json = """
            {"rules": [
              {"name": "r", "when": {"ports": [443, "8000-8100"], "timeBound": true, "account": "dev"}, "outcome": "approve", "duration": "8h"}
            ]}
            """;
        var rule = Assert.Single(PolicyRuleParser.Parse(json, "policy.json", Aliases).Rules);
        Assert.Equal((2, PolicyOutcome.Approve, (TimeSpan?)TimeSpan.FromHours(8), (bool?)true), (rule.Line, rule.Outcome, rule.Duration, rule.When.TimeBound));
        Assert.Equal([new PortRange(443, 443), new PortRange(8000, 8100)], rule.When.Ports!.Ranges);
    }

    [Fact]
    public void Sample_IsValid() =>
        Assert.Equal(["deny-internet-admin-and-db", "dev-private-non-admin", "everything-else"],
            PolicyRuleParser.Parse(File.ReadAllText(RepoRoot.Sample("policy.yaml")), "policy.yaml", Aliases).Rules.Select(r => r.Name));

    // Start-up: the validator runs with the rest of Policy:* when the host starts (ValidateOnStart).

    private static OptionsValidationException? StartUp(string? rulesFile, string aliases = "111111111111=dev")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:AllowedAccounts"] = "111111111111",
            ["Policy:AccountAliases"] = aliases,
            ["Policy:RulesFile"] = rulesFile,
        }).Build();
        var services = new ServiceCollection();
        services.AddValidatedOptions<PolicyOptions>(configuration, PolicyOptions.SectionName);
        services.AddSgBridgePolicyRules();
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<PolicyOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException ex)
        {
            return ex;
        }
    }

    [Fact]
    public void StartUp_ABadFile_StopsTheAppNamingFileAndLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "rules:\n  - name: r\n    when: { source: { within: [10.0.0.0/40] } }\n    outcome: approve\n");
        try
        {
            var ex = StartUp(path);
            Assert.NotNull(ex);
            Assert.Contains($"Policy:RulesFile: {Path.GetFileName(path)} line 3: '10.0.0.0/40'", ex!.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StartUp_TheSample_Passes_AndAnAliasItNeedsMissing_Fails()
    {
        Assert.Null(StartUp(RepoRoot.Sample("policy.yaml")));
        var ex = StartUp(RepoRoot.Sample("policy.yaml"), aliases: "111111111111=staging");
        Assert.Contains("policy.yaml line 21: account 'dev'", ex!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("   ", null)]
    [InlineData("missing-policy.yaml", "cannot be read")]
    [InlineData("policy.toml", "must end in .yaml, .yml or .json")]
    [InlineData("https://account.blob.core.windows.net/policy/policy.yaml", "neither Storage:ConnectionString nor Storage:AccountName is set")]
    public void StartUp_TheSettingsEdges(string setting, string? message)
    {
        var ex = StartUp(setting);
        if (message is null)
        {
            Assert.Null(ex);
        }
        else
        {
            Assert.Contains(message, ex!.Message, StringComparison.Ordinal);
        }
    }
}
