using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Reconcile;

public enum DifferenceKind
{
    /// <summary>A rule the group holds that is not approved: revoked by its rule id.</summary>
    Unapproved,
    /// <summary>An approved rule the group lacks: authorised again, with its description.</summary>
    Missing,
    /// <summary>An approved rule whose content changed under the same rule id: put back with ModifySecurityGroupRules.</summary>
    Changed,
}

public sealed record DifferenceItem(DifferenceKind Kind, SecurityGroupRule? Live, SecurityGroupRule? Approved)
{
    /// <summary>Identifies the difference across describes (a settle check acts only on differences that persisted).</summary>
    public string Key => Kind switch
    {
        DifferenceKind.Unapproved => $"unapproved:{Live!.RuleId ?? Live.AccessKey}",
        DifferenceKind.Missing => $"missing:{Approved!.AccessKey}",
        _ => $"changed:{Live!.RuleId}:{Live.AccessKey}|{Live.Description}",
    };

    public string Describe() => Kind switch
    {
        DifferenceKind.Unapproved => $"not approved: {Live!.Describe()} ({Live.RuleId})",
        DifferenceKind.Missing => $"approved but missing: {Approved!.Describe()}",
        _ => $"changed {Live!.RuleId}: {Live.Describe()}, approved {Approved!.Describe()}",
    };
}

/// <summary>
/// The difference between a group's approved and live rules (pure): matched by rule id, then by access; a match whose
/// content or description differs is Changed, the rest Missing or Unapproved.
/// </summary>
public sealed record GroupDifference(IReadOnlyList<DifferenceItem> Items, IReadOnlyList<(SecurityGroupRule Approved, string RuleId)> RuleIds)
{
    public bool IsEmpty => Items.Count == 0;

    public static GroupDifference Compute(IReadOnlyList<SecurityGroupRule> approved, IReadOnlyList<SecurityGroupRule> live)
    {
        var items = new List<DifferenceItem>();
        var ids = new List<(SecurityGroupRule, string)>();
        var freeLive = live.ToList();
        var freeApproved = new List<SecurityGroupRule>();
        foreach (var a in approved)
        {
            var index = a.RuleId is null ? -1 : freeLive.FindIndex(l => l.RuleId == a.RuleId);
            if (index < 0)
            {
                freeApproved.Add(a);
                continue;
            }
            var l = freeLive[index];
            freeLive.RemoveAt(index);
            if (!l.SameContentAs(a))
            {
                items.Add(new DifferenceItem(DifferenceKind.Changed, l, a));
            }
        }
        foreach (var a in freeApproved)
        {
            var index = freeLive.FindIndex(l => l.SameAccessAs(a));
            if (index < 0)
            {
                items.Add(new DifferenceItem(DifferenceKind.Missing, null, a));
                continue;
            }
            var l = freeLive[index];
            freeLive.RemoveAt(index);
            if (l.RuleId is not null)
            {
                ids.Add((a, l.RuleId));
            }
            if (!l.SameContentAs(a))
            {
                items.Add(new DifferenceItem(DifferenceKind.Changed, l, a));
            }
        }
        items.AddRange(freeLive.Select(l => new DifferenceItem(DifferenceKind.Unapproved, l, null)));
        return new GroupDifference(items, ids);
    }

    /// <summary>The EC2 writes that undo <paramref name="items"/>: revokes first (the safe direction), then modifies, then
    /// authorisations.</summary>
    public static IReadOnlyList<Ec2Write> Writes(string groupId, IEnumerable<DifferenceItem> items)
    {
        var list = items.ToList();
        var writes = new List<Ec2Write>();
        var revokeIn = list.Where(i => i.Kind == DifferenceKind.Unapproved && !i.Live!.Egress).Select(i => i.Live!.RuleId!).ToArray();
        var revokeOut = list.Where(i => i.Kind == DifferenceKind.Unapproved && i.Live!.Egress).Select(i => i.Live!.RuleId!).ToArray();
        if (revokeIn.Length > 0) writes.Add(new RevokeIngressByIds(groupId, revokeIn));
        if (revokeOut.Length > 0) writes.Add(new RevokeEgressByIds(groupId, revokeOut));
        var modify = list.Where(i => i.Kind == DifferenceKind.Changed)
            .Select(i => new RuleModification(i.Live!.RuleId!, i.Approved! with { RuleId = null })).ToArray();
        if (modify.Length > 0) writes.Add(new ModifyRules(groupId, modify));
        var addIn = list.Where(i => i.Kind == DifferenceKind.Missing && !i.Approved!.Egress).Select(i => i.Approved! with { RuleId = null }).ToArray();
        var addOut = list.Where(i => i.Kind == DifferenceKind.Missing && i.Approved!.Egress).Select(i => i.Approved! with { RuleId = null }).ToArray();
        if (addIn.Length > 0) writes.Add(new AuthorizeIngress(groupId, addIn));
        if (addOut.Length > 0) writes.Add(new AuthorizeEgress(groupId, addOut));
        return writes;
    }
}
