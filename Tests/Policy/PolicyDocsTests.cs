using SgBridge.Shared.Policy;
using SgBridge.Tests.Infrastructure;

namespace SgBridge.Tests.Policy;

/// <summary>The policy file shown in docs/slack.md is a valid policy that says what the doc says (it cannot drift from the parser).</summary>
public sealed class PolicyDocsTests
{
    private static readonly Dictionary<string, string> Aliases = new() { ["111111111111"] = "dev" };

    private static string SlackDocPolicy()
    {
        var doc = RepoPaths.ReadText("docs", "slack.md");
        var section = doc.IndexOf("## Decisions by policy: the file", StringComparison.Ordinal);
        Assert.True(section >= 0, "docs/slack.md has no section on the policy file");
        var start = doc.IndexOf("```yaml", section, StringComparison.Ordinal) + "```yaml".Length;
        var end = doc.IndexOf("```", start, StringComparison.Ordinal);
        return doc[start..end];
    }

    [Fact]
    public void SlackDoc_PolicyExcerpt_ParsesAsTheSampleItShortens()
    {
        var rules = PolicyRuleParser.Parse(SlackDocPolicy(), "slack.md", Aliases);
        var sample = PolicyRuleParser.Parse(RepoPaths.ReadText("samples", "policy.yaml"), "policy.yaml", Aliases);

        Assert.Equal(sample.Rules.Select(r => (r.Name, r.Outcome, r.Duration)), rules.Rules.Select(r => (r.Name, r.Outcome, r.Duration)));
        Assert.True(rules.UsesTags); // the doc shows the tag condition
        Assert.False(sample.UsesTags);
    }

    [Fact]
    public void SlackDoc_RuleLines_AreTheSampleFilesLines()
    {
        // The doc's table quotes the sample's lines ("policy.yaml line 7/18/32").
        var sample = PolicyRuleParser.Parse(RepoPaths.ReadText("samples", "policy.yaml"), "policy.yaml", Aliases);
        var doc = RepoPaths.ReadText("docs", "slack.md");
        foreach (var rule in sample.Rules)
        {
            Assert.Contains($"rule {rule.Name} (policy.yaml line {rule.Line})", doc, StringComparison.Ordinal);
        }
    }
}
