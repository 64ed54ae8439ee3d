using SgBridge.Shared.Policy;
using SgBridge.Tests.Infrastructure;

namespace SgBridge.Tests.Policy;

/// <summary>The policy files shown in docs/slack.md and docs/policy.md are valid policies that say what the docs say (they cannot drift from the parser).</summary>
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

    /// <summary>The ```yaml blocks of docs/policy.md, in order.</summary>
    private static List<string> PolicyDocBlocks()
    {
        var doc = RepoPaths.ReadText("docs", "policy.md");
        var blocks = new List<string>();
        for (var at = doc.IndexOf("```yaml", StringComparison.Ordinal); at >= 0; at = doc.IndexOf("```yaml", at, StringComparison.Ordinal))
        {
            var start = at + "```yaml".Length;
            var end = doc.IndexOf("```", start, StringComparison.Ordinal);
            blocks.Add(doc[start..end].Trim('\n'));
            at = end + 3;
        }
        return blocks;
    }

    [Fact]
    public void PolicyDoc_Reference_IsAValidPolicy()
    {
        var set = PolicyRuleParser.Parse(PolicyDocBlocks()[0], "policy.md", Aliases);

        var rule = Assert.Single(set.Rules);
        Assert.Equal("dev-private-non-admin", rule.Name);
        Assert.Empty(set.Warnings); // narrow: private sources, admin ports outside
    }

    [Fact]
    public void PolicyDoc_AcknowledgedBastion_LoadsWithAWarningQuotingIt()
    {
        var block = PolicyDocBlocks().Single(b => b.Contains("acknowledge:", StringComparison.Ordinal) && b.Contains("bastion-ssh", StringComparison.Ordinal));

        var set = PolicyRuleParser.Parse("rules:\n" + block, "policy.yaml");

        var warning = Assert.Single(set.Warnings);
        Assert.StartsWith("policy.yaml:2: rule 'bastion-ssh' approves opening SSH (22) to the whole internet (0.0.0.0/0, ::/0)", warning, StringComparison.Ordinal);
        Assert.Contains("(acknowledged: The bastion takes SSH from anywhere; MFA and fail2ban on the host (SEC-42).)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyDoc_BastionWithoutItsAcknowledgement_IsRefusedAsTheDocSays()
    {
        var block = PolicyDocBlocks().Single(b => b.Contains("acknowledge:", StringComparison.Ordinal) && b.Contains("bastion-ssh", StringComparison.Ordinal));
        var unacknowledged = string.Join('\n', block.Split('\n').Where(l => !l.TrimStart().StartsWith("acknowledge:", StringComparison.Ordinal)));

        var error = Assert.Single(Assert.Throws<PolicyFileException>(() => PolicyRuleParser.Parse("rules:\n" + unacknowledged, "policy.yaml")).Errors);

        // The doc quotes this error (file, line, rule, what it lets through, the fix).
        Assert.Equal("policy.yaml line 2: rule 'bastion-ssh' approves opening SSH (22) to the whole internet (0.0.0.0/0, ::/0) without a person looking: refused. Narrow it, or add 'acknowledge: <why the risk is accepted>' to the rule", error.ToString());
        Assert.Contains(error.ToString().Replace("policy.yaml line 2:", "policy.yaml line 12:", StringComparison.Ordinal), RepoPaths.ReadText("docs", "policy.md").ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
