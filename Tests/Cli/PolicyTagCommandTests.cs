using SgBridge.Cli;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Cli;

/// <summary>
/// `sgbridge policy test` and `plan --rules` with a groupTags rule: offline they read no tags, so the rule meets "tags
/// unknown" and the change is asked (never approved, never denied on unknown tags), which they say.
/// </summary>
public sealed class PolicyTagCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("policy-tags-cli").FullName;
    private static readonly string Ssh = RepoRoot.Sample("authorize-ssh-from-internet.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Policy(string outcome)
    {
        var path = Path.Combine(_dir, $"tags-{outcome}.yaml");
        // SSH from anywhere is a dangerous approval: these rules carry the acknowledgement a real policy would need.
        var acknowledge = outcome == "approve" ? "\n    acknowledge: dev groups take SSH" : "";
        File.WriteAllText(path, $"""
            rules:
              - name: tagged
                when:
                  ports: [22]
                  groupTags: {"{"} env: dev {"}"}
                outcome: {outcome}{acknowledge}
              - name: ssh
                when: {"{"} ports: [22] {"}"}
                outcome: approve
                acknowledge: SSH from anywhere, to test a tag rule before it
            """);
        return path;
    }

    [Theory]
    [InlineData("approve")]
    [InlineData("deny")]
    public async Task PolicyTest_TagRule_TagsUnknown_Asks(string outcome)
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy(outcome));

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Decision: ASK, by rule 'tagged'", o, StringComparison.Ordinal);
        Assert.Contains("tags unknown: `sgbridge policy test` works offline and reads no tags", o, StringComparison.Ordinal);
        Assert.Contains("(tags unknown at 'tagged', line 2: its groupTags condition is not matched, so ask)", o, StringComparison.Ordinal);
        Assert.Contains($"would say {outcome}", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyTest_ExpectApprove_OnATagRule_Fails()
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy("approve"), "--expect", "approve");
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("NOT AS EXPECTED", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyTest_Json_NamesTheRuleWhereTagsWereUnknown()
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy("approve"), "--json");
        Assert.Equal(ExitCodes.Success, exit);
        var json = System.Text.Json.Nodes.JsonNode.Parse(o)!;
        var perRule = json["decisions"]![0]!["perRule"]![0]!;
        Assert.Equal("ask", (string?)perRule["outcome"]);
        Assert.Equal(("tagged", 2), ((string?)perRule["tagsUnknownAt"]!["name"], (int)perRule["tagsUnknownAt"]!["line"]!));
    }

    [Fact]
    public async Task Plan_WithATagRule_SaysTagsUnknown_AndAsks()
    {
        var (exit, o, _) = await _cli.RunAsync("plan", Ssh, "--rules", Policy("approve"));

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Decision: ASK, by rule 'tagged'", o, StringComparison.Ordinal);
        Assert.Contains("tags unknown: the plan works offline and reads no tags", o, StringComparison.Ordinal);
        Assert.Contains("Pending: the approvers' message shows this rule and line.", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyTest_InvalidTagCondition_NamesTheLine()
    {
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, "rules:\n  - name: r\n    when:\n      groupTags: [env]\n    outcome: approve\n");
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", path);
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("bad.yaml line 4: 'groupTags' in rule 'r' must be a mapping", o, StringComparison.Ordinal);
    }
}
