using SgBridge.Shared.Policy;

namespace SgBridge.Tests.Policy;

/// <summary>
/// A policy rule that approves a world-open administrative port, or approves with no conditions, is refused at load
/// naming the file, line, rule and what it lets through, unless it carries 'acknowledge'; an acknowledged one loads with
/// a warning quoting it. Narrow rules give neither.
/// </summary>
public class PolicyRiskTests
{
    private static PolicyRuleSet Parse(string text) => PolicyRuleParser.Parse(text, "policy.yaml");

    [Theory]
    [InlineData("when: { ports: [22] }", "SSH (22)")]
    [InlineData("when: { ports: [3389], source: { within: [0.0.0.0/0] } }", "RDP (3389)")]
    [InlineData("when: { ports: { overlaps: [5000-6000] } }", "PostgreSQL (5432)")]
    [InlineData("when: { ports: { outside: [443] } }", "SSH (22)")]
    [InlineData("when: { protocol: [all] }", "MySQL (3306)")]
    [InlineData("when: { source: { equals: [\"::/0\"] }, ports: [22] }", "::/0")]
    [InlineData("when: { groupTags: { env: dev } }", "SSH (22)")]
    [InlineData("", "approves every change (it has no conditions)")]
    public void Approve_ThatLetsTheWorldOntoAnAdminPort_OrAnything_IsRefusedUnacknowledged_NamingFileLineAndRisk(string when, string risk)
    {
        var error = Assert.Single(Assert.Throws<PolicyFileException>(() => Parse($"rules:\n  - name: risky\n    {when}\n    outcome: approve\n")).Errors);

        Assert.StartsWith("policy.yaml line 2: rule 'risky' ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(risk, error.Message, StringComparison.Ordinal);
        Assert.Contains("refused. Narrow it, or add 'acknowledge: <why the risk is accepted>'", error.Message, StringComparison.Ordinal);

        // Acknowledged, the same rule loads, and the warning says what it lets through and quotes why.
        var warning = Assert.Single(Parse($"rules:\n  - name: risky\n    {when}\n    outcome: approve\n    acknowledge: accepted (SEC-1)\n").Warnings);
        Assert.StartsWith("policy.yaml:2: rule 'risky' ", warning, StringComparison.Ordinal);
        Assert.Contains(risk, warning, StringComparison.Ordinal);
        Assert.Contains("(acknowledged: accepted (SEC-1))", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Approve_ThatIsAcknowledged_WarnsWithTheAcknowledgement()
    {
        var set = Parse("rules:\n  - name: bastion\n    when: { ports: [22] }\n    acknowledge: the bastion takes SSH from anywhere; MFA on the host (SEC-42)\n    outcome: approve\n");

        var warning = Assert.Single(set.Warnings);
        Assert.Contains("policy.yaml:2: rule 'bastion' approves opening SSH (22) to the whole internet", warning, StringComparison.Ordinal);
        Assert.Contains("acknowledged: the bastion takes SSH from anywhere", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("when: { ports: [443] }")]
    [InlineData("when: { ports: [22], source: { within: [10.0.0.0/8] } }")]
    [InlineData("when: { ports: [22], source: { prefixList: [pl-0123abcd] } }")]
    [InlineData("when: { ports: [22], source: { kind: [group] } }")]
    [InlineData("when: { change: [remove] }")]
    [InlineData("when: { protocol: [udp], ports: [53] }")]
    [InlineData("when: { ports: { within: [8000-8100] } }")]
    public void Approve_ThatCannotOpenAnAdminPortToTheWorld_HasNoWarning(string when)
    {
        Assert.Empty(Parse($"rules:\n  - name: narrow\n    {when}\n    outcome: approve\n").Warnings);
    }

    [Theory]
    [InlineData("deny")]
    [InlineData("ask")]
    public void DenyOrAsk_HaveNoWarning_AndRefuseAnAcknowledgement(string outcome)
    {
        Assert.Empty(Parse($"rules:\n  - name: r\n    outcome: {outcome}\n").Warnings);

        var error = Assert.Single(Assert.Throws<PolicyFileException>(() => Parse($"rules:\n  - name: r\n    outcome: {outcome}\n    acknowledge: why not\n")).Errors);
        Assert.Contains("only a dangerous approval needs one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acknowledge_Empty_IsRefused()
    {
        var errors = Assert.Throws<PolicyFileException>(() => Parse("rules:\n  - name: r\n    when: { ports: [443] }\n    outcome: approve\n    acknowledge: \"\"\n")).Errors;

        Assert.Contains(errors, e => e.Message.Contains("must be a text saying why", StringComparison.Ordinal));
    }
}
