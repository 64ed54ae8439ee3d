using Microsoft.Extensions.Logging;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The event path without the lease. The lease keeps two reconciles of a group from acting on each other's stale
/// describe, one giving access back while another takes it away. An event reconcile whose every action is a revoke by
/// rule id needs none of that: it can only take away, and only the rules with those ids — EC2 never reuses a rule id,
/// and giving the same access back creates a rule with a new id. So: read the approved state, describe, and if the
/// plan is revokes only, execute it without the lease (two table writes fewer per event). Anything else — a rule to
/// authorise again or modify back, a group seen for the first time, an adopted rule to withdraw — takes the lease and
/// is recomputed under it as before.
/// <para>
/// Two races remain, and both end correct:
/// <list type="bullet">
/// <item>Another worker revoking the same rule (a duplicate event, the intake's inline run and its queued copy): EC2
/// answers <c>InvalidSecurityGroupRuleId.NotFound</c> (moto: <c>InvalidPermission.NotFound</c>) for the whole call. The group is described again; ids already gone
/// count as done, ids still there are revoked once more. A failure after that is a failure (RevertFailed).</item>
/// <item>An approval of the same access landing between this reconcile's read of the approved state and its revoke:
/// the approval writes the approved state <em>before</em> it describes the group, and queues a settle check for the
/// access it approved one <see cref="Options.ReconcileOptions.SettleDelay"/> after its reconcile
/// (GroupReconciler.ApprovalSettle.cs). Either the approval's describe comes after the revoke — it sees the approved
/// rule missing and authorises it again — or the revoke lands before the settle check, which gives the access back.
/// That holds while the revoke lands within the settle delay of this path's read; this path does not re-read the
/// approved state (one storage operation fewer per event) unless it took longer than <see cref="UnleasedBudget"/>
/// (half the settle delay) from its read to its last revoke's answer — then it re-reads, and a new ETag hands the
/// revoked access to a settle check queued at once. Nothing unapproved is left; nothing approved stays revoked longer
/// than the settle delay.</item>
/// </list>
/// Every approved-state write on this path (rule-id bookkeeping) stays ETag-conditional, and happens after the re-read
/// (when there is one) so that it is not taken for someone else's write.
/// </para>
/// </summary>
public sealed partial class GroupReconciler
{
    /// <summary>Null: the plan needs the lease (the caller takes it and reconciles as before).</summary>
    private async Task<ReconcileReport?> TryTakeAwayUnleasedAsync(ISecurityGroupClient client, string accountId, string region, string groupId,
        ReconcileScope.Event scope, CancellationToken ct)
    {
        if (scope.Claim.Kind != ChangeKind.Add)
        {
            return null; // a remove or an edit is undone by giving access back
        }
        var readAt = time.GetTimestamp();
        var stored = await groups.GetAsync(accountId, region, groupId, ct);
        if (stored is null)
        {
            return null; // first sight of the group
        }
        var group = stored.Value;
        bool Claimed(SecurityGroupRule r) => ClaimMatcher.Explains(scope.Claim, new DifferenceItem(DifferenceKind.Unapproved, r, null));
        if (group.Rules.Any(a => a.Origin == ApprovalOrigin.Adopted && a.ApprovedAt >= scope.Claim.EventTime.AddSeconds(1) && Claimed(a.Rule)))
        {
            return null; // an adopted rule to withdraw: an approved-state write under the lease
        }

        var live = Policed(await client.DescribeRulesAsync(groupId, ct));
        var difference = GroupDifference.Compute(Policed(group.RuleSet), live);
        var (acted, deferred) = Split(difference, scope);
        if (acted.Any(i => i.Kind != DifferenceKind.Unapproved || i.Live!.RuleId is null))
        {
            return null; // would give access back, or cannot name the rule by id
        }

        var writes = GroupDifference.Writes(groupId, acted);
        var outcomes = new List<CallOutcome>();
        foreach (var write in writes)
        {
            var outcome = await RevokeOnceAsync(client, groupId, write, ct);
            outcomes.Add(outcome);
            if (!outcome.Succeeded)
            {
                break;
            }
        }
        var combined = CallOutcomes.Combine(outcomes, "Nothing to undo.");
        if (combined.ErrorCode == "InvalidGroup.NotFound")
        {
            return Gone(accountId, region, groupId, group);
        }
        if (writes.Count > 0 && time.GetElapsedTime(readAt) > UnleasedBudget)
        {
            // Slower than an approval's settle check can be relied on to wait for: look for yourself (one point read).
            var after = await groups.GetAsync(accountId, region, groupId, ct);
            if (after is null || after.ETag != stored.ETag)
            {
                // The approved state changed while we revoked without the lease: let a leased check give back what is now approved.
                var keys = acted.Select(i => new DifferenceItem(DifferenceKind.Missing, null, i.Live! with { RuleId = null }).Key).Distinct(StringComparer.Ordinal).ToArray();
                await queue.SendAsync(QueueNames.Reconcile, new ReconcileCommand(accountId, region, groupId, keys), ct);
                LogApprovedStateMoved(logger, accountId, region, groupId, keys.Length);
                combined = combined with { Notes = [.. combined.Notes, $"The approved state of {groupId} changed during this revoke; a settle check gives back whatever of it is now approved."] };
            }
        }
        if (difference.RuleIds.Count > 0)
        {
            await groups.UpdateAsync(accountId, region, groupId, g => g.LearnRuleIds(difference.RuleIds, time.GetUtcNow()), ct);
        }
        await DeferAsync(accountId, region, groupId, deferred, ct);
        if (acted.Count > 0)
        {
            LogReconciledUnleased(logger, accountId, region, groupId, acted.Count, deferred.Count, combined.Succeeded);
        }
        return new ReconcileReport(accountId, region, groupId, group.GroupName, group.VpcId, true, difference, acted, deferred, writes, combined, null);
    }

    /// <summary>
    /// One revoke by rule id, tolerant of a rule someone else revoked first: EC2 rejects the whole call when one id is
    /// gone, so the group is described again and the ids still there are revoked once more. The response's list of
    /// revoked rules, when EC2 sends one, must name every id asked for.
    /// </summary>
    private async Task<CallOutcome> RevokeOnceAsync(ISecurityGroupClient client, string groupId, Ec2Write write, CancellationToken ct)
    {
        var outcome = Checked(await client.ExecuteAsync(write, ct), write);
        // EC2 names a gone rule id InvalidSecurityGroupRuleId.NotFound; moto 5.2.1 answers InvalidPermission.NotFound for
        // the same call. Either way the describe below decides what is still there, so both are handled alike.
        if (outcome.Succeeded || outcome.ErrorCode is not ("InvalidSecurityGroupRuleId.NotFound" or "InvalidPermission.NotFound"))
        {
            return outcome;
        }
        var asked = RuleIdsOf(write);
        var still = (await client.DescribeRulesAsync(groupId, ct)).Where(r => r.RuleId is not null && asked.Contains(r.RuleId)).Select(r => r.RuleId!).ToArray();
        var gone = asked.Except(still, StringComparer.Ordinal).ToArray();
        LogAlreadyRevoked(logger, groupId, string.Join(",", gone), still.Length);
        var note = $"already gone (revoked by another worker or by hand): {string.Join(", ", gone)}";
        if (still.Length == 0)
        {
            return new CallOutcome(write.Describe(), true) { Notes = [.. outcome.Notes, note] };
        }
        Ec2Write again = write is RevokeEgressByIds ? new RevokeEgressByIds(groupId, still) : new RevokeIngressByIds(groupId, still);
        var retried = Checked(await client.ExecuteAsync(again, ct), again);
        return retried with { Notes = [.. retried.Notes, note] };
    }

    private static CallOutcome Checked(CallOutcome outcome, Ec2Write write)
    {
        var revoked = outcome.Notes.Where(n => n.StartsWith("revoked ", StringComparison.Ordinal)).Select(n => n["revoked ".Length..]).ToHashSet(StringComparer.Ordinal);
        if (!outcome.Succeeded || revoked.Count == 0)
        {
            return outcome; // older API answers (and some emulators) list nothing: the absence of an error is the answer
        }
        var missing = RuleIdsOf(write).Where(id => !revoked.Contains(id)).ToArray();
        return missing.Length == 0
            ? outcome
            : outcome with { Succeeded = false, ErrorCode = "RevokeIncomplete", Message = $"EC2 answered the revoke without revoking {string.Join(", ", missing)}." };
    }

    private static IReadOnlyList<string> RuleIdsOf(Ec2Write write) => write switch
    {
        RevokeIngressByIds i => i.RuleIds,
        RevokeEgressByIds e => e.RuleIds,
        _ => [],
    };

    [LoggerMessage(705, LogLevel.Information, "Reconciled {AccountId}/{Region} {GroupId} without the lease (revokes only): acted on {Acted} difference(s), deferred {Deferred}, succeeded {Succeeded}")]
    private static partial void LogReconciledUnleased(ILogger logger, string accountId, string region, string groupId, int acted, int deferred, bool succeeded);

    [LoggerMessage(706, LogLevel.Information, "{GroupId}: rule(s) {RuleIds} already revoked by someone else; {Still} still there")]
    private static partial void LogAlreadyRevoked(ILogger logger, string groupId, string ruleIds, int still);

    [LoggerMessage(707, LogLevel.Warning, "{AccountId}/{Region} {GroupId}: the approved state changed during a revoke without the lease; settle check queued for {Keys} access key(s)")]
    private static partial void LogApprovedStateMoved(ILogger logger, string accountId, string region, string groupId, int keys);
}
