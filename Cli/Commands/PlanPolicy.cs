using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;

namespace SgBridge.Cli.Commands;

/// <summary>What `plan` adds when a policy file is given (--rules, or Policy__RulesFile with --live): the deciding rule.</summary>
internal static class PlanPolicy
{
    /// <summary>The policy of `plan --rules FILE [--account-aliases …]`; null without --rules. An invalid file is a usage error naming its lines.</summary>
    public static (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? Load(string? rulesFile, string? aliases)
    {
        if (rulesFile is null)
        {
            return null;
        }
        var options = new PolicyOptions { RulesFile = Path.GetFullPath(rulesFile), AccountAliases = aliases ?? "" };
        try
        {
            return (PolicyRules.Load(options), options.AccountAliasMap);
        }
        catch (PolicyFileException ex)
        {
            throw new CliUsageException("--rules: the policy file is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e)));
        }
    }

    public static void Print(DryRunResult r, (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? policy, TextWriter o)
    {
        if (policy is not { } p)
        {
            return;
        }
        o.WriteLine($"Policy file ({p.Rules.Source})");
        if (r.Decision.Verdict != Verdict.Police || !r.AccountAllowed)
        {
            o.WriteLine("  Not decided by the policy: only policed changes of allowed accounts are.");
        }
        else if (r.Plan is { Writes.Count: 0 })
        {
            o.WriteLine("  Not decided by the policy: the event matches nothing in the group (Unmatched).");
        }
        else
        {
            var evaluation = PolicyEngine.Evaluate(p.Rules, PolicyInput.From(r.Request), p.Aliases);
            PolicyPrinter.Print(evaluation, o);
            o.WriteLine("  Then:     " + evaluation.Decision.Outcome switch
            {
                "approve" => "Approved by the policy at once, then applied (the apply queue), as if an approver had clicked.",
                "deny" => "Denied by the policy at once: the change stays reverted.",
                _ => "Pending: the approvers' message shows this rule and line.",
            });
        }
        o.WriteLine();
    }
}
