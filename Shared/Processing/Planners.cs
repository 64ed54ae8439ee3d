using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Processing;

/// <summary>
/// What reverting one change means: the EC2 write(s) and what the request records about the rules.
/// Normally one write; a modify whose edits are partly unknown to the snapshot needs two (noted).
/// </summary>
public sealed record RevertPlan(
    IReadOnlyList<Ec2Write> Writes,
    IReadOnlyList<SecurityGroupRule> Rules,
    IReadOnlyList<string> UnresolvedRuleIds,
    IReadOnlyList<RuleEdit> Edits,
    bool PreviousContentUnknown,
    IReadOnlyList<string> Notes);

/// <summary>Plans the exact revert of a change (pure: no I/O).</summary>
public static class RevertPlanner
{
    public static RevertPlan Plan(SecurityGroupChange change, string groupId, GroupSnapshot? snapshot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return change.Kind switch
        {
            ChangeKind.Add => PlanAdd(change, groupId),
            ChangeKind.Remove => PlanRemove(change, groupId, snapshot),
            ChangeKind.Modify => PlanModify(change, groupId, snapshot),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown change kind."),
        };
    }

    private static RevertPlan PlanAdd(SecurityGroupChange change, string groupId)
    {
        var rules = change.Rules;
        if (rules.Count == 0)
        {
            return new RevertPlan([], rules, [], [], false, ["The call added no rules: nothing to revert."]);
        }
        // Revoking by rule id is exact (it cannot touch a rule that existed before with the same access); by properties otherwise.
        Ec2Write write = rules.All(r => r.RuleId is not null)
            ? new RevokeIngressByIds(groupId, rules.Select(r => r.RuleId!).Distinct().ToArray())
            : new RevokeIngressByRules(groupId, rules);
        return new RevertPlan([write], rules, [], [], false, []);
    }

    private static RevertPlan PlanRemove(SecurityGroupChange change, string groupId, GroupSnapshot? snapshot)
    {
        var notes = new List<string>();
        var rules = new List<SecurityGroupRule>();
        foreach (var rule in change.Rules)
        {
            // A revoke by properties need not carry the description; restore the one the group had.
            var known = rule.Description is null ? snapshot?.FindSameAccess(rule) : null;
            rules.Add(known?.Description is { } d ? rule with { Description = d } : rule);
        }
        var unresolved = new List<string>();
        foreach (var id in change.RuleIds.Where(id => !rules.Any(r => r.RuleId == id)))
        {
            if (snapshot?.FindById(id) is { } known)
            {
                rules.Add(known);
            }
            else
            {
                unresolved.Add(id);
            }
        }
        var unknown = unresolved.Count > 0;
        if (unknown)
        {
            notes.Add(snapshot is null
                ? $"No snapshot of {groupId} yet: the content of {string.Join(", ", unresolved)} is unknown and cannot be restored."
                : $"The snapshot of {groupId} does not hold {string.Join(", ", unresolved)}: their content is unknown and cannot be restored.");
        }
        // Re-authorise without the old rule ids: EC2 assigns new ones.
        var restore = rules.Select(r => r with { RuleId = null }).ToArray();
        Ec2Write[] writes = restore.Length > 0 ? [new AuthorizeIngress(groupId, restore)] : [];
        if (writes.Length == 0 && !unknown)
        {
            notes.Add("The call removed no rules: nothing to revert.");
        }
        return new RevertPlan(writes, rules, unresolved, [], unknown, notes);
    }

    private static RevertPlan PlanModify(SecurityGroupChange change, string groupId, GroupSnapshot? snapshot)
    {
        var edits = change.Modifications
            .Select(m => new RuleEdit(m.RuleId, snapshot?.FindById(m.RuleId) is { } before ? before with { RuleId = m.RuleId } : null, m.After))
            .ToArray();
        var known = edits.Where(e => e.Before is not null).ToArray();
        var unknown = edits.Where(e => e.Before is null).ToArray();
        var writes = new List<Ec2Write>();
        var notes = new List<string>();
        if (known.Length > 0)
        {
            writes.Add(new ModifyRules(groupId, known.Select(e => new RuleModification(e.RuleId, e.Before! with { RuleId = null })).ToArray()));
        }
        if (unknown.Length > 0)
        {
            // Fail closed: without the previous content the only safe revert removes the rule altogether.
            writes.Add(new RevokeIngressByIds(groupId, unknown.Select(e => e.RuleId).ToArray()));
            notes.Add($"Previous content of {string.Join(", ", unknown.Select(e => e.RuleId))} unknown ({(snapshot is null ? "no snapshot of the group yet" : "not in the snapshot")}): the rule is removed until an approver decides.");
        }
        if (writes.Count > 1)
        {
            notes.Add("Some edits are restored and others removed: two EC2 calls.");
        }
        return new RevertPlan(writes, [], [], edits, unknown.Length > 0, notes);
    }
}

/// <summary>Plans carrying out an approved request: exactly what the requester asked for, against the reverted group.</summary>
public static class ApplyPlanner
{
    public static IReadOnlyList<Ec2Write> Plan(ChangeRequest request)
    {
        var groupId = request.GroupId ?? throw new InvalidOperationException($"Request {request.Id} has no group id.");
        switch (request.Kind)
        {
            case ChangeKind.Add:
                return request.Rules.Count == 0 ? [] : [new AuthorizeIngress(groupId, request.Rules.Select(r => r with { RuleId = null }).ToArray())];
            case ChangeKind.Remove:
                // The revert re-created the rules with new ids: revoke them by their properties.
                return request.Rules.Count == 0 ? [] : [new RevokeIngressByRules(groupId, request.Rules.Select(r => r with { RuleId = null }).ToArray())];
            case ChangeKind.Modify:
                var writes = new List<Ec2Write>();
                var restored = request.Edits.Where(e => e.Before is not null).ToArray();
                var removed = request.Edits.Where(e => e.Before is null).ToArray();
                if (restored.Length > 0)
                {
                    writes.Add(new ModifyRules(groupId, restored.Select(e => new RuleModification(e.RuleId, e.After with { RuleId = null })).ToArray()));
                }
                if (removed.Length > 0)
                {
                    // These rules were removed when the revert failed closed: add the approved content back.
                    writes.Add(new AuthorizeIngress(groupId, removed.Select(e => e.After with { RuleId = null }).ToArray()));
                }
                return writes;
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Kind, "Unknown change kind.");
        }
    }
}
