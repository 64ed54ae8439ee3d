using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;

namespace SgBridge.Cli.Commands;

/// <summary>What `plan` adds when a policy file is given (--rules, or Policy__RulesFile with --live): the deciding rule.</summary>
internal static class PlanPolicy
{
    /// <summary>Offline the plan reads no tags: a rule with a groupTags condition is "tags unknown", so it asks.</summary>
    public static GroupTags Offline { get; } = GroupTags.Unknown("tags unknown: the plan works offline and reads no tags (with --live it reads them)");

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
            return (PolicyRules.Load(options, new PolicyBlob(Microsoft.Extensions.Options.Options.Create(new StorageOptions()))), options.AccountAliasMap);
        }
        catch (PolicyFileException ex)
        {
            throw new CliUsageException("--rules: the policy file is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e)));
        }
    }

    /// <summary>
    /// --live: as <see cref="Print"/>, reading the group's tags through <paramref name="readTags"/> only when a rule with a
    /// groupTags condition is reached (as the worker does).
    /// </summary>
    public static async Task PrintLiveAsync(DryRunResult r, (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? policy,
        Func<CancellationToken, Task<GroupTags>> readTags, TextWriter o, CancellationToken cancellationToken)
    {
        var tags = GroupTags.NotRead;
        if (policy is { } p && PolicyEngine.Evaluate(p.Rules, PolicyInput.From(r.Request, null, GroupTags.NotRead), p.Aliases).NeedsTags)
        {
            tags = await readTags(cancellationToken).ConfigureAwait(false);
            o.WriteLine(tags.Values is { } values
                ? $"Group tags (read live for a groupTags rule): {(values.Count == 0 ? "none" : string.Join(", ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}")))}"
                : $"Group tags: {tags.UnknownReason}");
        }
        Print(r, policy, o, tags.IsNotRead ? null : tags);
    }

    public static void Print(DryRunResult r, (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? policy, TextWriter o, GroupTags? tags = null)
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
            var evaluation = PolicyEngine.Evaluate(p.Rules, PolicyInput.From(r.Request, null, tags ?? Offline), p.Aliases);
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
