using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Shared.Processing;

/// <summary>What reconciling the group for one event would do: the EC2 writes, and notes on the differences (the rules the event
/// explains are recorded on <see cref="DryRunResult.Request"/>).</summary>
public sealed record RevertPlan(IReadOnlyList<Ec2Write> Writes, IReadOnlyList<string> Notes);

/// <summary>What the bridge would do with one event, decided by the same code the worker runs, with no cloud calls.</summary>
public sealed record DryRunResult(
    SecurityGroupChange Change,
    bool AccountAllowed,
    PolicyVerdict Decision,
    string RoleArn,
    AwsAuthMode AuthMode,
    RevertPlan? Plan,
    ChangeRequest Request);

public static class DryRun
{
    /// <summary>
    /// Plans the event as the worker reconciles it. <paramref name="approved"/> is the group's approved rules (null: the
    /// group has none yet). <paramref name="live"/> is what the group holds now; null simulates it as the approved rules
    /// with the event's claim applied — what the group holds if the event is true.
    /// </summary>
    public static DryRunResult Plan(SecurityGroupChange change, ChangePolicy policy, AwsOptions aws, IReadOnlyList<SecurityGroupRule>? approved,
        DateTimeOffset now, IReadOnlyList<SecurityGroupRule>? live = null)
    {
        var decision = policy.Evaluate(change);
        var id = RequestId.For(change.EventId);
        var groupId = change.GroupId ?? $"<id of group '{change.GroupName}', looked up with ec2:DescribeSecurityGroups>";
        var request = ChangeRequest.Open(id, change, now);
        RevertPlan? plan = null;
        if (decision.Verdict != Verdict.BridgeOwn)
        {
            var simulated = live is null;
            var holds = live ?? Simulate(approved ?? [], change);
            var notes = new List<string>
            {
                simulated
                    ? "Simulated: the group is taken to hold its approved rules with the event's claim applied (--live describes the real group)."
                    : "Live: the group as EC2 describes it now, against its stored approved state.",
            };
            IReadOnlyList<DifferenceItem> acted;
            if (approved is null)
            {
                // First sight: the claim is undone now, the rest of the group is adopted (or enforced) at the settle check.
                acted = holds.Where(r => ClaimMatcher.Claims(change, r)).Select(r => new DifferenceItem(DifferenceKind.Unapproved, r, null))
                    .ToArray();
                notes.Add("The group has no approved state yet (not onboarded): the claimed change is undone, the rest is settled by Reconcile:UnknownGroups.");
            }
            else
            {
                var difference = GroupDifference.Compute(approved, holds);
                acted = difference.Items.Where(i => ClaimMatcher.Explains(change, i)).ToArray();
                notes.AddRange(difference.Items.Except(acted).Select(i => "left for the settle check (no event explains it yet): " + i.Describe()));
            }
            var exempt = decision.Verdict == Verdict.Exempt;
            IReadOnlyList<Ec2Write> writes = exempt ? [] : GroupDifference.Writes(groupId, acted);
            if (exempt && acted.Count > 0)
            {
                notes.Add($"Exempt: {acted.Count} difference(s) would be adopted into the approved state as far as the group confirms them; nothing is undone.");
            }
            if (acted.Count == 0)
            {
                notes.Add("The claim matches nothing in the group: nothing changes in AWS and the request is recorded as Unmatched.");
            }
            var found = ChangeProcessor.Found(change.Kind, acted);
            plan = new RevertPlan(writes, notes);
            if (!exempt)
            {
                var previousUnknown = found.Edits.Any(e => e.Before is null);
                request.RecordFound(groupId, change.GroupName, null, found.Rules, [], found.Edits, previousUnknown, now);
            }
        }
        return new DryRunResult(change, policy.IsAllowedAccount(change.AccountId), decision, aws.RoleArnFor(change.AccountId), aws.AuthMode, plan, request);
    }

    /// <summary>The approved rules with the event's claim applied: what the group holds if the event is true.</summary>
    public static IReadOnlyList<SecurityGroupRule> Simulate(IReadOnlyList<SecurityGroupRule> approved, SecurityGroupChange change)
    {
        var egress = change.Direction == RuleDirection.Egress;
        var rules = approved.ToList();
        var n = 0;
        switch (change.Kind)
        {
            case ChangeKind.Add:
                rules.AddRange(change.Rules.Select(r => r with { Egress = egress, RuleId = r.RuleId ?? $"sgr-{++n:x17}" }));
                break;
            case ChangeKind.Remove:
                rules.RemoveAll(a => change.RuleIds.Contains(a.RuleId ?? "") || change.Rules.Any(r => (r with { Egress = egress }).SameAccessAs(a)));
                break;
            default:
                foreach (var m in change.Modifications)
                {
                    var i = rules.FindIndex(a => a.RuleId == m.RuleId);
                    if (i >= 0)
                    {
                        rules[i] = m.After with { RuleId = m.RuleId, Egress = rules[i].Egress };
                    }
                    else
                    {
                        rules.Add(m.After with { RuleId = m.RuleId, Egress = egress });
                    }
                }
                break;
        }
        return rules;
    }
}
