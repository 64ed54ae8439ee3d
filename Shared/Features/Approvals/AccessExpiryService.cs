using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>What one expiry tick did. <paramref name="Skipped"/>: entries whose account's member role cannot be assumed
/// (recorded as a skipped account, tried again after <see cref="AccountSkips.RetryAfter"/>).</summary>
public sealed record AccessExpirySummary(int Due, int Ended, int Rescheduled, int Failed, int Skipped = 0);

/// <summary>
/// Ends time-bound access (the <c>ExpireAccess</c> timer, every minute). For each due row of <see cref="IAccessExpiryIndex"/>:
/// the run-out rules leave the approved state, AWS follows (<see cref="GroupReconciler"/>, only the live rules that carried
/// this request's access), the request becomes <see cref="RequestStatus.AccessEnded"/> (its notices are effects), and only
/// then the row goes: a crash before the delete leaves the row for the next tick (converge, don't replay).
/// </summary>
public sealed partial class AccessExpiryService(
    IAccessExpiryIndex index,
    IGroupStateStore groups,
    IRequestStore requests,
    RequestLifecycle lifecycle,
    GroupReconciler reconciler,
    ISecurityGroupClientFactory aws,
    AccessNotifier notifier,
    AccountSkips skips,
    IOptions<ApprovalsOptions> options,
    TimeProvider time,
    ILogger<AccessExpiryService> logger,
    BridgeTelemetry telemetry)
{
    public async Task<AccessExpirySummary> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await index.ListDueAsync(now, options.Value.ExpiryBatchSize, cancellationToken).ToListAsync(cancellationToken);
        var outcomes = new List<EntryOutcome>();
        foreach (var entry in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await EndGuardedAsync(entry, now, cancellationToken));
        }
        int Count(EntryOutcome o) => outcomes.Count(x => x == o);
        return new AccessExpirySummary(due.Count, Count(EntryOutcome.Ended), Count(EntryOutcome.Rescheduled), Count(EntryOutcome.Failed),
            Count(EntryOutcome.Skipped));
    }

    /// <summary>
    /// Ends one entry now (an approver's early revoke), as the tick would. The index row is the authority: only a row still
    /// stored and due is acted on, so a late or forged message does nothing. True when the row was found and finished.
    /// </summary>
    public async Task<bool> EndNowAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var row = await index.FindAsync(entry, cancellationToken);
        if (row is null || row.DueAt > now)
        {
            LogNothingToEnd(logger, entry.RequestId, entry.GroupId, row is null ? "its row is gone (done already)" : "it is not due yet");
            return false;
        }
        return await EndGuardedAsync(row, now, cancellationToken) is EntryOutcome.Ended or EntryOutcome.Rescheduled or EntryOutcome.Dropped;
    }

    private enum EntryOutcome
    {
        Ended,
        Rescheduled,
        Dropped,
        Failed,
        Skipped,
    }

    /// <summary>One entry's failure must not hold up the others: it is recorded on its row and the next tick tries again.</summary>
    private async Task<EntryOutcome> EndGuardedAsync(AccessExpiryEntry entry, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return await EndAsync(entry, now, ct);
        }
        catch (Exception ex) when (AccountSkips.RoleMissing(ex) is { } missing)
        {
            // A skipped account (its state, a daily warning), not a failure every minute: the row waits for the sweep's interval.
            await SkippedAsync(entry, missing, now, ct);
            return EntryOutcome.Skipped;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return await FailedAsync(entry, ex.Message, ex, ct);
        }
    }

    private async Task<EntryOutcome> EndAsync(AccessExpiryEntry entry, DateTimeOffset now, CancellationToken ct)
    {
        var stored = await requests.GetAsync(entry.RequestId, ct);
        if (stored is null)
        {
            // The request is gone (e.g. Storage:Retention purged it) but its access may not be: converge the group.
            return await EndWithoutRequestAsync(entry, now, ct);
        }
        var request = stored.Value;

        // 0. An extension of this grant approved (decided before this tick read it) but not applied yet holds the access
        //    on: the row waits a tick for its apply, which moves the expiry in the approved state (then step 3 moves the
        //    row to it). Without this, the tick would take the rule out of the approved state and the apply put it back.
        if (entry.Kind == AccessEndKind.Expire && await PendingExtensionAsync(request, now, ct) is { } extension)
        {
            await MoveAsync(entry, now + ExtensionApplyWait, 0, ct);
            LogExtensionPending(logger, entry.RequestId, extension, now + ExtensionApplyWait);
            return EntryOutcome.Rescheduled;
        }

        // 1. The approved state: run-out rules leave it (a revoke row's rules left it when the approver clicked; again is a no-op).
        var state = await groups.UpdateAsync(entry.AccountId, entry.Region, entry.GroupId, g => entry.Kind == AccessEndKind.Revoke
            ? g.RevokeAccessOf(request, now).Count > 0
            : g.RemoveExpired(now).Count > 0, ct);
        if (state is null)
        {
            // No approved state: the group was never onboarded or is gone. Nothing can hold the access.
            await EndRequestAsync(entry, request, now, ct);
            await index.RemoveAsync(entry, ct);
            return EntryOutcome.Ended;
        }
        var group = state.Value.Stored.Value;

        // 2. AWS follows: revoke the live rules that carried this request's access and are no longer approved.
        var client = await aws.CreateAsync(entry.AccountId, entry.Region, ct);
        var live = await client.DescribeRulesAsync(entry.GroupId, ct);
        var granted = request.GrantedRules;
        var keys = GroupDifference.Compute(group.RuleSet, live).Items
            .Where(i => i.Kind == DifferenceKind.Unapproved && granted.Any(g => g.SameAccessAs(i.Live!)))
            .Select(i => i.Key)
            .ToArray();
        if (keys.Length > 0)
        {
            if (await ReconcileAsync(client, entry, new ReconcileScope.Settle(keys), ct) is { } failed)
            {
                return failed;
            }
        }

        // 3. Still approved (extended, or approved again permanently)? Then this row was early: move it, or drop it. Read
        //    again, not taken from step 1: an extension's apply may have written the approved state since (its conditional
        //    write followed ours), and the access it holds on must not be told as ended.
        var current = await groups.GetAsync(entry.AccountId, entry.Region, entry.GroupId, ct);
        var still = current?.Value.AccessOf(request) ?? [];
        if (entry.Kind == AccessEndKind.Expire && still.Count > 0)
        {
            var next = still.Select(r => r.ExpiresAt).Aggregate(ApprovedGroup.Later);
            await MoveAsync(entry, next, 0, ct);
            LogRescheduled(logger, entry.RequestId, entry.GroupId, next);
            return EntryOutcome.Rescheduled;
        }

        // 4. The request shows it (its transition raises the notices as effects), then the row goes.
        await EndRequestAsync(entry, request, now, ct);
        await index.RemoveAsync(entry, ct);
        return EntryOutcome.Ended;
    }

    /// <summary>How long an expiry waits for the apply of an approved extension of its grant before it looks again (one tick).</summary>
    public static readonly TimeSpan ExtensionApplyWait = TimeSpan.FromMinutes(1);

    /// <summary>The id of this grant's extension request when it is approved and its apply has not written the approved state yet.</summary>
    private Task<string?> PendingExtensionAsync(ChangeRequest request, DateTimeOffset now, CancellationToken ct) =>
        ExtensionAsync(request, e => e is { Status: RequestStatus.Approved } && !(e.AccessUntil is { } end && end <= now), ct);

    /// <summary>The id of this grant's extension request when it was applied (it holds an expiry row of its own), else null.</summary>
    private Task<string?> AppliedExtensionAsync(ChangeRequest request, CancellationToken ct) =>
        ExtensionAsync(request, e => e.Status is RequestStatus.Applied or RequestStatus.AccessEnded, ct);

    private async Task<string?> ExtensionAsync(ChangeRequest request, Func<ChangeRequest, bool> state, CancellationToken ct) =>
        AccessDecisionService.ExtensionIdOf(request) is { } id
            && await requests.GetAsync(id, ct) is { Value: var extension }
            && extension.ExtendsRequestId == request.Id && state(extension)
            ? id
            : null;

    /// <summary>No request to say which rules: every run-out rule leaves the approved state and the whole group converges
    /// (removing access is the safe direction).</summary>
    private async Task<EntryOutcome> EndWithoutRequestAsync(AccessExpiryEntry entry, DateTimeOffset now, CancellationToken ct)
    {
        if (entry.Kind == AccessEndKind.Expire)
        {
            var state = await groups.UpdateAsync(entry.AccountId, entry.Region, entry.GroupId, g => g.RemoveExpired(now).Count > 0, ct);
            if (state is not null)
            {
                var client = await aws.CreateAsync(entry.AccountId, entry.Region, ct);
                if (await ReconcileAsync(client, entry, new ReconcileScope.All(), ct) is { } failed)
                {
                    return failed;
                }
            }
        }
        LogDropped(logger, entry.RequestId, "the request does not exist; the group was reconciled to its approved state");
        await index.RemoveAsync(entry, ct);
        return EntryOutcome.Dropped;
    }

    /// <summary>Marks the request AccessEnded; the transition raises its notices as effects (told once, never lost).</summary>
    private async Task EndRequestAsync(AccessExpiryEntry entry, ChangeRequest request, DateTimeOffset now, CancellationToken ct)
    {
        var reason = entry.Kind == AccessEndKind.Revoke ? AccessEndReason.Revoked : AccessEndReason.Expired;
        // An applied extension carried this grant's access on and ends it with notices of its own (its own row, due at the
        // same time): this grant's end is recorded without a second "Access ended".
        var carriedBy = entry.Kind == AccessEndKind.Expire ? await AppliedExtensionAsync(request, ct) : null;
        var update = await lifecycle.ChangeAsync(request.Id, r =>
        {
            if (!r.CanEndAccess)
            {
                return false;
            }
            if (carriedBy is not null)
            {
                r.EndAccessCarriedBy(carriedBy, now);
            }
            else
            {
                r.EndAccess(reason, entry.RevokedBy, now);
            }
            return true;
        }, ct);
        if (update is not { Written: true })
        {
            // Denied, never applied, or ended already (an early revoke, or another run): nothing more to record.
            LogDropped(logger, request.Id, $"the request is {(update?.Request ?? request).Status} ({(update?.Request ?? request).AccessEndReason})");
            return;
        }
        LogEnded(logger, request.Id, entry.AccountId, entry.GroupId, reason);
        telemetry.Reconciles.Add(1, new KeyValuePair<string, object?>("trigger", "access_" + reason.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>(TelemetryTags.Outcome, "acted"));
    }

    /// <summary>Makes AWS follow the approved state; <see cref="EntryOutcome.Failed"/> (recorded on the row) when it could not.</summary>
    private async Task<EntryOutcome?> ReconcileAsync(ISecurityGroupClient client, AccessExpiryEntry entry, ReconcileScope scope,
        CancellationToken ct)
    {
        var report = await reconciler.ReconcileAsync(client, entry.AccountId, entry.Region, entry.GroupId, scope, reportOnly: false, ct);
        return !report.Succeeded && report.GroupExists
            ? await FailedAsync(entry, $"{report.Outcome.ErrorCode}: {report.Outcome.Message}", null, ct)
            : null;
    }

    /// <summary>A later due time is a new row: written before the old one goes, so a crash in between leaves one to finish
    /// (<paramref name="dueAt"/> null: nothing left to end, the row only goes).</summary>
    private async Task MoveAsync(AccessExpiryEntry entry, DateTimeOffset? dueAt, int attempts, CancellationToken ct)
    {
        if (dueAt is { } at)
        {
            await index.AddAsync(entry with { DueAt = at, Attempts = attempts }, ct);
        }
        await index.RemoveAsync(entry, ct);
    }

    private async Task SkippedAsync(AccessExpiryEntry entry, RoleNotAssumableException missing, DateTimeOffset now, CancellationToken ct)
    {
        LogSkipped(logger, entry.RequestId, entry.AccountId, entry.GroupId, now + skips.RetryAfter);
        try
        {
            await skips.RecordAsync(entry.AccountId, entry.Region, missing, now, ct);
            await MoveAsync(entry, now + skips.RetryAfter, entry.Attempts + 1, ct);
            if (entry.Attempts == 0)
            {
                await notifier.AccessEndFailedAsync(entry, $"{AccountSkips.RoleNotDeployed}: {missing.RoleArn} cannot be assumed; tried again every {skips.RetryAfter:g} until the role is back", ct);
            }
        }
        catch (Exception inner) when (inner is not OperationCanceledException)
        {
            LogFailed(logger, inner, entry.RequestId, entry.AccountId, entry.GroupId, entry.Attempts + 1, "could not record the skipped account");
        }
    }

    private async Task<EntryOutcome> FailedAsync(AccessExpiryEntry entry, string reason, Exception? ex, CancellationToken ct)
    {
        LogFailed(logger, ex, entry.RequestId, entry.AccountId, entry.GroupId, entry.Attempts + 1, reason);
        telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "access_expiry"));
        try
        {
            await index.AddAsync(entry with { Attempts = entry.Attempts + 1 }, ct);
            if (entry.Attempts == 0)
            {
                await notifier.AccessEndFailedAsync(entry, reason, ct);
            }
        }
        catch (Exception inner) when (inner is not OperationCanceledException)
        {
            LogFailed(logger, inner, entry.RequestId, entry.AccountId, entry.GroupId, entry.Attempts + 1, "could not record the failure");
        }
        return EntryOutcome.Failed;
    }

    [LoggerMessage(1301, LogLevel.Information, "Access of request {RequestId} ended in {AccountId} on {GroupId}: {Reason}")]
    private static partial void LogEnded(ILogger logger, string requestId, string accountId, string groupId, AccessEndReason reason);

    [LoggerMessage(1302, LogLevel.Information, "Access of request {RequestId} on {GroupId} is still approved (extended); next look at {Next}")]
    private static partial void LogRescheduled(ILogger logger, string requestId, string groupId, DateTimeOffset? next);

    [LoggerMessage(1307, LogLevel.Information, "Access of request {RequestId} not ended: its extension {ExtensionId} is approved and not applied yet; next look at {Next}")]
    private static partial void LogExtensionPending(ILogger logger, string requestId, string extensionId, DateTimeOffset next);

    [LoggerMessage(1303, LogLevel.Information, "Expiry row for request {RequestId} dropped: {Why}")]
    private static partial void LogDropped(ILogger logger, string requestId, string why);

    [LoggerMessage(1306, LogLevel.Warning, "Access of request {RequestId} in {AccountId} on {GroupId} not ended yet: the member role cannot be assumed there (skipped account); next try at {Next}")]
    private static partial void LogSkipped(ILogger logger, string requestId, string accountId, string groupId, DateTimeOffset next);

    [LoggerMessage(1304, LogLevel.Error, "ACCESS NOT ENDED for request {RequestId} in {AccountId} on {GroupId} (attempt {Attempt}): {Reason}; retried next tick")]
    private static partial void LogFailed(ILogger logger, Exception? exception, string requestId, string accountId, string groupId, int attempt, string reason);

    [LoggerMessage(1305, LogLevel.Information, "Queued end of access for request {RequestId} on {GroupId}: nothing to do, {Why}")]
    private static partial void LogNothingToEnd(ILogger logger, string requestId, string groupId, string why);
}
