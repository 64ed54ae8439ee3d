using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// Which differences an event's claim explains: it is believed only as far as the live group and the approved state
/// confirm it, i.e. for rules the event names (by rule id, or by access).
/// </summary>
public static class ClaimMatcher
{
    public static bool Explains(SecurityGroupChange claim, DifferenceItem item)
    {
        var egress = claim.Direction == RuleDirection.Egress;
        var rules = claim.Rules.Select(r => r with { Egress = egress }).ToArray();
        return (claim.Kind, item.Kind) switch
        {
            (ChangeKind.Add, DifferenceKind.Unapproved) => Names(rules, claim.RuleIds, item.Live!),
            (ChangeKind.Remove, DifferenceKind.Missing) => Names(rules, claim.RuleIds, item.Approved!),
            (ChangeKind.Modify, DifferenceKind.Changed or DifferenceKind.Unapproved) =>
                claim.Modifications.Any(m => m.RuleId == item.Live!.RuleId),
            _ => false,
        };
    }

    /// <summary>True when the claim explains <paramref name="live"/> as a rule the group holds and nobody approved.</summary>
    public static bool Claims(SecurityGroupChange claim, SecurityGroupRule live) =>
        Explains(claim, new DifferenceItem(DifferenceKind.Unapproved, live, null));

    private static bool Names(IReadOnlyList<SecurityGroupRule> rules, IReadOnlyList<string> ruleIds, SecurityGroupRule rule) =>
        (rule.RuleId is not null && (ruleIds.Contains(rule.RuleId) || rules.Any(r => r.RuleId == rule.RuleId)))
        || rules.Any(r => r.SameAccessAs(rule));
}
