using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Reconcile;

public abstract record ReconcileScope
{
    /// <summary>An event: act on the differences its claim explains (adopt them, for an exempt principal); defer the rest.</summary>
    public sealed record Event(SecurityGroupChange Claim, bool Exempt) : ReconcileScope;

    /// <summary>An approved request: write it into the approved state, then act on the differences it explains; defer the rest.</summary>
    public sealed record Approval(ChangeRequest Request) : ReconcileScope;

    /// <summary>A settle check: act only on the differences seen before (by <see cref="DifferenceItem.Key"/>) that are still there.</summary>
    public sealed record Settle(IReadOnlyCollection<string> Keys) : ReconcileScope;

    /// <summary>Act on every difference (the operator's `sgbridge reconcile`).</summary>
    public sealed record All : ReconcileScope;
}

public sealed record ReconcileReport(
    string AccountId,
    string Region,
    string GroupId,
    string? GroupName,
    string? VpcId,
    bool GroupExists,
    IReadOnlyList<DifferenceItem> Acted,
    IReadOnlyList<DifferenceItem> Deferred,
    IReadOnlyList<Ec2Write> Writes,
    CallOutcome Outcome,
    string? FirstSight)
{
    public bool Succeeded => Outcome.Succeeded;
}

/// <summary>Another worker holds the group and did not let go in time: the message is retried later.</summary>
public sealed class GroupBusyException(string message) : Exception(message);

/// <summary>
/// Converges one group to its approved state: take the lease, describe its rules once, undo the in-scope part of the
/// difference (at most one revoke, authorise and modify). Out-of-scope differences wait for a settle check after
/// <see cref="ReconcileOptions.SettleDelay"/>, so their own events can explain them first. The approved state changes
/// only by an approval, an exempt change the live group confirms, and first sight of a group.
/// </summary>
public sealed partial class GroupReconciler(
    IGroupStateStore groups,
    IQueueSender queue,
    IOptions<ReconcileOptions> options,
    IOptions<PolicyOptions> policy,
    TimeProvider time,
    ILogger<GroupReconciler> logger,
    BridgeTelemetry telemetry)
{
    private readonly ReconcileOptions _options = options.Value;

    /// <summary>Settle checks this instance queued, not yet due: a burst on one group needs one check per set of differences.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, string), (HashSet<string> Keys, DateTimeOffset Due)> _scheduled = new();
    private readonly bool _policeEgress = policy.Value.PoliceEgress;

    public async Task<ReconcileReport> ReconcileAsync(ISecurityGroupClient client, string accountId, string region, string groupId, ReconcileScope scope,
        bool reportOnly, CancellationToken cancellationToken)
    {
        if (scope is ReconcileScope.Settle && await SettledAsync(client, accountId, region, groupId, cancellationToken) is { } settled)
        {
            return Counted(scope, settled);
        }
        var lease = await AcquireAsync(accountId, region, groupId, cancellationToken);
        try
        {
            return Counted(scope, await ReconcileHeldAsync(client, accountId, region, groupId, scope, reportOnly, cancellationToken));
        }
        finally
        {
            await groups.ReleaseLeaseAsync(lease, CancellationToken.None);
        }
    }

    /// <summary>A settle check that finds the group at its approved state has nothing to write, so it takes no lease; anything
    /// else goes the leased way, which reads again.</summary>
    private async Task<ReconcileReport?> SettledAsync(ISecurityGroupClient client, string accountId, string region, string groupId, CancellationToken ct)
    {
        if (await groups.GetAsync(accountId, region, groupId, ct) is not { Value: var group })
        {
            return null;
        }
        var difference = GroupDifference.Compute(Policed(group.RuleSet), Policed(await client.DescribeRulesAsync(groupId, ct)));
        return difference.Items.Count == 0 && difference.RuleIds.Count == 0
            ? new ReconcileReport(accountId, region, groupId, group.GroupName, group.VpcId, true, [], [], [],
                new CallOutcome("none", true, Message: "Nothing to undo."), null)
            : null;
    }

    private ReconcileReport Counted(ReconcileScope scope, ReconcileReport report)
    {
        telemetry.Reconciles.Add(1,
            new KeyValuePair<string, object?>("trigger", scope.GetType().Name.ToLowerInvariant()),
            new KeyValuePair<string, object?>(TelemetryTags.Outcome, !report.GroupExists ? "group_gone" : !report.Succeeded ? "failed" : report.Acted.Count == 0 ? "nothing_to_undo" : "acted"));
        return report;
    }

    private async Task<ReconcileReport> ReconcileHeldAsync(ISecurityGroupClient client, string accountId, string region, string groupId, ReconcileScope scope,
        bool reportOnly, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stored = await groups.GetAsync(accountId, region, groupId, ct);
        string? firstSight = null;
        IReadOnlyList<SecurityGroupRule> live;
        if (stored is null)
        {
            var described = await client.DescribeGroupAsync(groupId, null, ct);
            if (described is null)
            {
                return Gone(accountId, region, groupId, null);
            }
            live = [.. described.IngressRules, .. described.EgressRules];
            if (scope is ReconcileScope.Event first)
            {
                return await FirstSightOfEventAsync(client, accountId, region, described, Policed(live), first, reportOnly, ct);
            }
            (stored, firstSight) = await FirstSightAsync(accountId, region, described, Policed(live), scope, now, ct);
        }
        else
        {
            live = await client.DescribeRulesAsync(groupId, ct);
        }
        var group = stored.Value;
        live = Policed(live);

        if (scope is ReconcileScope.Event { Exempt: false } policed && firstSight is null)
        {
            // A rule adopted at first sight after this event's change was made is the change itself, caught half-way.
            bool Claimed(SecurityGroupRule r) => ClaimMatcher.Claims(policed.Claim, r);
            if (group.Rules.Any(a => a.Origin == ApprovalOrigin.Adopted && a.ApprovedAt >= policed.Claim.EventTime.AddSeconds(1) && Claimed(a.Rule)))
            {
                var withdrawn = await groups.UpdateAsync(accountId, region, groupId, g => g.WithdrawAdoptedSince(policed.Claim.EventTime, Claimed, time.GetUtcNow()), ct);
                group = withdrawn?.Stored.Value ?? group;
            }
        }

        if (scope is ReconcileScope.Approval approval)
        {
            var applied = await groups.UpdateAsync(accountId, region, groupId, g => g.ApplyRequest(approval.Request, time.GetUtcNow()), ct);
            group = applied?.Stored.Value ?? group;
        }

        var difference = GroupDifference.Compute(Policed(group.RuleSet), live);
        var (acted, deferred) = Split(difference, scope);
        if (scope is ReconcileScope.Event { Exempt: true } exempt && acted.Count > 0)
        {
            // The exempt principal's change, as far as the live group confirms it, becomes approved; nothing is undone.
            var present = acted.Where(i => i.Kind is DifferenceKind.Unapproved or DifferenceKind.Changed).Select(i => i.Live!).ToArray();
            var gone = acted.Where(i => i.Kind == DifferenceKind.Missing).Select(i => i.Approved!).ToArray();
            await groups.UpdateAsync(accountId, region, groupId, g => { g.Adopt(present, gone, RequestId.For(exempt.Claim.EventId), time.GetUtcNow()); return true; }, ct);
            LogAdopted(logger, accountId, region, groupId, present.Length, gone.Length);
            await DeferAsync(accountId, region, groupId, deferred, ct);
            return new ReconcileReport(accountId, region, groupId, group.GroupName, group.VpcId, true, acted, deferred, [],
                new CallOutcome("none", true, Message: $"Adopted into the approved state: {present.Length} rule(s) present, {gone.Length} removed."), firstSight);
        }

        IReadOnlyList<Ec2Write> writes = reportOnly ? [] : GroupDifference.Writes(groupId, acted);
        var outcomes = new List<CallOutcome>();
        foreach (var write in writes)
        {
            var outcome = await client.ExecuteAsync(write, ct);
            outcomes.Add(outcome);
            if (!outcome.Succeeded)
            {
                break;
            }
        }
        var combined = CallOutcomes.Combine(outcomes, reportOnly ? "Reported only (Reconcile:Mode=Report): nothing changed in AWS." : "Nothing to undo.");
        if (combined.ErrorCode == "InvalidGroup.NotFound")
        {
            return Gone(accountId, region, groupId, group);
        }
        if (difference.RuleIds.Count > 0)
        {
            // Bookkeeping only: which rule ids AWS gave approved rules (the content is unchanged).
            await groups.UpdateAsync(accountId, region, groupId, g => g.LearnRuleIds(difference.RuleIds, time.GetUtcNow()), ct);
        }
        await DeferAsync(accountId, region, groupId, deferred, ct);
        if (acted.Count > 0)
        {
            LogReconciled(logger, accountId, region, groupId, acted.Count, deferred.Count, combined.Succeeded);
        }
        return new ReconcileReport(accountId, region, groupId, group.GroupName, group.VpcId, true, acted, deferred, writes, combined, firstSight);
    }

    private (IReadOnlyList<DifferenceItem> Acted, IReadOnlyList<DifferenceItem> Deferred) Split(GroupDifference difference, ReconcileScope scope)
    {
        Func<DifferenceItem, bool> inScope = scope switch
        {
            ReconcileScope.Event e => i => ClaimMatcher.Explains(e.Claim, i),
            ReconcileScope.Approval a => i => Explains(a.Request, i),
            ReconcileScope.Settle s => i => s.Keys.Contains(i.Key),
            _ => _ => true,
        };
        var acted = difference.Items.Where(inScope).ToArray();
        return (acted, difference.Items.Except(acted).ToArray());
    }

    /// <summary>The differences an approved request accounts for: its rules, now approved (or withdrawn), not yet in effect.</summary>
    private static bool Explains(ChangeRequest request, DifferenceItem item) => request.Kind switch
    {
        ChangeKind.Add => item.Kind == DifferenceKind.Missing && request.Rules.Any(r => r.SameAccessAs(item.Approved!)),
        ChangeKind.Remove => item.Kind == DifferenceKind.Unapproved && request.Rules.Any(r => r.SameAccessAs(item.Live!)),
        _ => item.Kind switch
        {
            DifferenceKind.Changed => request.Edits.Any(e => e.RuleId == item.Live!.RuleId || e.After.SameAccessAs(item.Approved!)),
            DifferenceKind.Missing => request.Edits.Any(e => e.After.SameAccessAs(item.Approved!)),
            _ => false,
        },
    };

    /// <summary>An event on a group with no approved state yet: undo what it claims and leave the rest to a settle check,
    /// so the first event of a burst does not adopt the others' changes.</summary>
    private async Task<ReconcileReport> FirstSightOfEventAsync(ISecurityGroupClient client, string accountId, string region, GroupDescription described,
        IReadOnlyList<SecurityGroupRule> live, ReconcileScope.Event scope, bool reportOnly, CancellationToken ct)
    {
        var acted = scope.Exempt
            ? []
            : live.Where(r => ClaimMatcher.Claims(scope.Claim, r)).Select(r => new DifferenceItem(DifferenceKind.Unapproved, r, null))
                .ToArray();
        IReadOnlyList<Ec2Write> writes = reportOnly ? [] : GroupDifference.Writes(described.GroupId, acted);
        var outcomes = new List<CallOutcome>();
        foreach (var write in writes)
        {
            outcomes.Add(await client.ExecuteAsync(write, ct));
        }
        await ReconcileMessage.SendAsync(queue, new SettleGroup(accountId, region, described.GroupId, []), _options.SettleDelay, ct);
        var note = $"First sight of {described.GroupId} ({described.GroupName}): the claimed change is undone now; the group's other rules are " +
            (_options.UnknownGroups == UnknownGroupPolicy.Adopt ? "adopted as approved" : "enforced (Reconcile:UnknownGroups=Enforce)") +
            $" at the settle check in {_options.SettleDelay}.";
        LogFirstSight(logger, accountId, region, described.GroupId, note);
        return new ReconcileReport(accountId, region, described.GroupId, described.GroupName, described.VpcId, true, acted, [], writes,
            CallOutcomes.Combine(outcomes, "Nothing to undo."), note);
    }

    private async Task<(Stored<ApprovedGroup>, string)> FirstSightAsync(string accountId, string region, GroupDescription described,
        IReadOnlyList<SecurityGroupRule> live, ReconcileScope scope, DateTimeOffset now, CancellationToken ct)
    {
        // Adopt what the group holds, except what the event that revealed it claims to have added or edited (an edit's
        // previous content is unknown: the rule is left out, so it is removed until someone approves it).
        var enforce = _options.UnknownGroups == UnknownGroupPolicy.Enforce;
        var claim = scope is ReconcileScope.Event { Exempt: false } e ? e.Claim : null;
        IReadOnlyList<SecurityGroupRule> approved = enforce ? []
            : claim is null ? live
            : live.Where(r => !ClaimMatcher.Claims(claim, r)).ToArray();
        var note = enforce
            ? $"First sight of {described.GroupId}: Reconcile:UnknownGroups=Enforce, so it starts with no approved rules."
            : $"First sight of {described.GroupId} ({described.GroupName}): adopted {approved.Count} rule(s) as approved" +
                (approved.Count < live.Count ? $", left out {live.Count - approved.Count} the event claims to have changed." : ".");
        var (stored, _) = await groups.AddOrGetAsync(
            ApprovedGroup.Create(accountId, region, described.GroupId, described.GroupName, described.VpcId, approved, ApprovalOrigin.Adopted, now), ct);
        LogFirstSight(logger, accountId, region, described.GroupId, note);
        return (stored, note);
    }

    private async Task DeferAsync(string accountId, string region, string groupId, IReadOnlyList<DifferenceItem> deferred, CancellationToken ct)
    {
        if (deferred.Count == 0)
        {
            return;
        }
        var keys = deferred.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        if (_scheduled.TryGetValue((accountId, region, groupId), out var pending) && pending.Due > now && keys.IsSubsetOf(pending.Keys))
        {
            return; // a settle check for these differences is already on its way
        }
        await ReconcileMessage.SendAsync(queue, new SettleGroup(accountId, region, groupId, keys.Order(StringComparer.Ordinal).ToArray()), _options.SettleDelay, ct);
        _scheduled[(accountId, region, groupId)] = (keys, now + _options.SettleDelay);
        foreach (var stale in _scheduled.Where(e => e.Value.Due <= now).Select(e => e.Key).ToArray())
        {
            _scheduled.TryRemove(stale, out _);
        }
        LogDeferred(logger, accountId, region, groupId, deferred.Count, _options.SettleDelay);
    }

    private async Task<GroupLease> AcquireAsync(string accountId, string region, string groupId, CancellationToken ct)
    {
        var owner = Guid.NewGuid().ToString("n");
        var deadline = time.GetUtcNow() + _options.LeaseWait;
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var lease = await groups.TryAcquireLeaseAsync(accountId, region, groupId, owner, time.GetUtcNow(), _options.LeaseDuration, ct);
            if (lease is not null)
            {
                return lease;
            }
            if (time.GetUtcNow() >= deadline)
            {
                throw new GroupBusyException($"Group {groupId} in {accountId}/{region} is being reconciled by another worker; trying again later.");
            }
            await Task.Delay(pause, time, ct);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
        }
    }

    private IReadOnlyList<SecurityGroupRule> Policed(IReadOnlyList<SecurityGroupRule> rules) =>
        _policeEgress ? rules : rules.Where(r => !r.Egress).ToArray();

    private static ReconcileReport Gone(string accountId, string region, string groupId, ApprovedGroup? group) =>
        new(accountId, region, groupId, group?.GroupName, group?.VpcId, false, [], [], [],
            new CallOutcome("ec2:DescribeSecurityGroupRules", true, "InvalidGroup.NotFound",
                $"Security group {groupId} no longer exists in {accountId}/{region}: nothing to reconcile."), null);

    [LoggerMessage(701, LogLevel.Debug, "Reconciled {AccountId}/{Region} {GroupId}: acted on {Acted} difference(s), deferred {Deferred}, succeeded {Succeeded}")]
    private static partial void LogReconciled(ILogger logger, string accountId, string region, string groupId, int acted, int deferred, bool succeeded);

    [LoggerMessage(702, LogLevel.Information, "{AccountId}/{Region} {GroupId}: {Deferred} difference(s) no event explains yet; settle check in {Delay}")]
    private static partial void LogDeferred(ILogger logger, string accountId, string region, string groupId, int deferred, TimeSpan delay);

    [LoggerMessage(703, LogLevel.Warning, "{AccountId}/{Region} {GroupId}: {Note}")]
    private static partial void LogFirstSight(ILogger logger, string accountId, string region, string groupId, string note);

    [LoggerMessage(704, LogLevel.Information, "{AccountId}/{Region} {GroupId}: exempt change adopted ({Present} present, {Gone} removed)")]
    private static partial void LogAdopted(ILogger logger, string accountId, string region, string groupId, int present, int gone);
}
