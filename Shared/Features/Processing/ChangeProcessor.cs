using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using System.Runtime.ExceptionServices;

namespace SgBridge.Shared.Processing;

public enum ProcessOutcome
{
    Reverted,
    RevertFailed,
    Exempt,
    Unmatched,
    IgnoredBridgeOwn,
    AlreadyProcessed,
    /// <summary>The account is not in Policy:AllowedAccounts: refused before any AWS call.</summary>
    Refused,
    /// <summary>
    /// Table Storage was unreachable: the add's rules were revoked by rule id anyway and the change re-queued with
    /// <see cref="SecurityGroupChange.Fallback"/> set, so its request is written Reverted once storage is back.
    /// </summary>
    RevokedWithoutStorage,
    /// <summary>
    /// Another worker held the group past <c>Reconcile:LeaseWait</c>: the change was sent again, visible after
    /// <see cref="ChangeProcessor.BusyRetryDelay"/>, and this delivery completes without spending a try.
    /// </summary>
    SentAgainBusy,
}

/// <summary>
/// The queue worker's job for one event: open the request (idempotent on the CloudTrail event id), then reconcile the
/// group — describe it once and undo the difference from its approved state that the event's claim explains. The event
/// is believed only as far as the group confirms it: a claim that matches nothing changes nothing in AWS and the
/// request says so (Unmatched). Transient failures escape so the queue retries; on the last try the request is marked
/// RevertFailed before the message goes to the poison queue.
/// <para>
/// Without Table Storage there is no request, no approved state and no lease, so nothing can be reconciled. Only the
/// direction that removes access goes on regardless: an add's rules are revoked by the rule ids the event names (when
/// the group still holds them with the content the event claims), logged Critical and counted; the change is re-queued
/// carrying what was revoked, and its request is written when storage answers again. A remove or an edit would give
/// access back: it waits for storage (the exception escapes and the queue retries). See <see cref="RevokeWithoutStorageAsync"/>.
/// </para>
/// </summary>
public sealed partial class ChangeProcessor(
    ChangePolicy policy,
    RequestLifecycle lifecycle,
    GroupReconciler reconciler,
    ISecurityGroupClientFactory aws,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ChangeProcessor> logger,
    BridgeTelemetry telemetry,
    IQueueSender queue,
    PolicyGate gate,
    UnrecordedRevokes unrecorded)
{
    private readonly int _maxDequeueCount = options.Value.MaxDequeueCount;

    /// <summary>How long a change refused as busy stays invisible before it is tried again (a lease lasts at most <c>Reconcile:LeaseDuration</c>).</summary>
    public static readonly TimeSpan BusyRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A message of the changes queue (the <c>RevertChange</c> function). As <see cref="ProcessAsync"/>, except that a group
    /// another worker holds is not a failure: the holder is working, so the change is sent again for later and this
    /// delivery completes (no failed invocation, no try spent towards the poison queue). If that send fails, the busy
    /// refusal escapes and the queue retries the message as before.
    /// </summary>
    public async Task<ProcessOutcome> ProcessQueuedAsync(SecurityGroupChange change, long dequeueCount, CancellationToken cancellationToken)
    {
        try
        {
            return await ProcessAsync(change, dequeueCount, cancellationToken);
        }
        catch (GroupBusyException busy)
        {
            await queue.SendAsync(QueueNames.Changes, change, BusyRetryDelay, cancellationToken);
            LogBusy(logger, change.EventId, change.AccountId, change.GroupLabel, busy.Message, BusyRetryDelay);
            return ProcessOutcome.SentAgainBusy;
        }
    }

    public async Task<ProcessOutcome> ProcessAsync(SecurityGroupChange change, long dequeueCount, CancellationToken cancellationToken)
    {
        // A revoke this process made without storage for this event, not yet recorded: the evidence rides along (UnrecordedRevokes).
        change = unrecorded.Attach(change);
        // The queue is not trusted either: a message placed on it directly for another account never reaches STS.
        if (!policy.IsAllowedAccount(change.AccountId))
        {
            LogRefused(logger, change.EventId, change.AccountId);
            return ProcessOutcome.Refused;
        }
        var verdict = policy.Evaluate(change);
        if (verdict.Verdict == Verdict.BridgeOwn)
        {
            LogIgnored(logger, change.EventId, change.AccountId, change.GroupLabel, verdict.Reason);
            return ProcessOutcome.IgnoredBridgeOwn;
        }

        try
        {
            return await ProcessStoredAsync(change, verdict, dequeueCount, cancellationToken);
        }
        catch (Exception ex) when (StorageFailure.IsUnavailable(ex))
        {
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "storage"), new KeyValuePair<string, object?>("queue", QueueNames.Changes));
            if (change.Kind != ChangeKind.Add || verdict.Verdict != Verdict.Police || change.Fallback is not null)
            {
                // Re-adding access (remove, edit) or adopting (exempt) needs the approved state: wait for storage.
                LogStorageWait(logger, ex, change.EventId, change.AccountId, change.GroupLabel, change.Kind);
                throw;
            }
            return await RevokeWithoutStorageAsync(change, ex, cancellationToken);
        }
    }

    /// <summary>
    /// Reconcile first, then write the request once, with its outcome (insert if absent). A redelivered event or message
    /// reconciles again — converging is idempotent: what was undone is not in the group any more, what was approved since
    /// is not a difference — and its insert finds the row (AlreadyProcessed). Nothing runs twice in AWS.
    /// <para>
    /// A worker that dies between its EC2 write and the insert leaves no row; the retry finds nothing left to undo and
    /// records Unmatched, saying which try it is, and counts <c>sgbridge.failures{kind=outcome_uncertain}</c> so that the
    /// lost record is visible (the revoke itself, the safe direction, is not lost). An insert that fails because storage
    /// is unreachable after a revoke carries the revoke forward instead (<see cref="SecurityGroupChange.Fallback"/>).
    /// </para>
    /// </summary>
    private async Task<ProcessOutcome> ProcessStoredAsync(SecurityGroupChange change, PolicyVerdict verdict, long dequeueCount, CancellationToken cancellationToken)
    {
        if (change.InlineAttempted && await lifecycle.FindAsync(RequestId.For(change.EventId), cancellationToken) is { Value.Status: not RequestStatus.Reverting } done)
        {
            // The intake's copy of a change its inline run finished after the intake answered: one point read, no AWS call.
            LogAlreadyProcessed(logger, done.Value.Id, change.EventId, done.Value.Status);
            return ProcessOutcome.AlreadyProcessed;
        }
        try
        {
            return await ReconcileAsync(change, verdict, dequeueCount, cancellationToken);
        }
        catch (RoleNotAssumableException ex)
        {
            // Retrying will not deploy the member role: fail the request at once, visibly.
            var failed = new CallOutcome("sts:AssumeRole", false, "RoleNotDeployed", ex.Message);
            var outcome = await RecordAsync(change, ProcessOutcome.RevertFailed, r => r.MarkRevertFailed(failed, time.GetUtcNow()), cancellationToken);
            LogRevertFailed(logger, RequestId.For(change.EventId), change.AccountId, change.GroupLabel, failed.ErrorCode, failed.Message);
            return outcome;
        }
        catch (Exception ex) when (dequeueCount >= _maxDequeueCount && ex is not (OperationCanceledException or GroupBusyException) && !StorageFailure.IsUnavailable(ex))
        {
            await GiveUpAsync(change, ex, dequeueCount, cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// The one place a change's request is recorded: built with its outcome and inserted once (insert if absent). A row
    /// already there means another run (a redelivery, the intake's inline run or its queued copy) recorded it first:
    /// AlreadyProcessed. A row still Reverting (written by an earlier version or the poison reader) gets the outcome.
    /// </summary>
    private async Task<ProcessOutcome> RecordAsync(SecurityGroupChange change, ProcessOutcome outcome, Action<ChangeRequest> recordOutcome, CancellationToken ct)
    {
        // A request left Pending by the outcome is decided by the policy file in the same write (PolicyGate). The group's
        // tags, when a rule needs them, are read before that write (one DescribeSecurityGroups call; none otherwise).
        var tags = GroupTags.NotRead;
        if (gate.UsesTags)
        {
            var candidate = ChangeRequest.Open(RequestId.For(change.EventId), change, time.GetUtcNow());
            recordOutcome(candidate);
            tags = await gate.TagsForAsync(candidate, null, ct);
        }
        Action<ChangeRequest> record = r =>
        {
            recordOutcome(r);
            gate.Decide(r, time.GetUtcNow(), null, tags);
        };
        var (stored, created) = await OpenRequestAsync(lifecycle, change, time.GetUtcNow(), record, ct);
        if (created)
        {
            await gate.AfterAsync(stored.Value, ct);
            return outcome;
        }
        if (stored.Value.Status == RequestStatus.Reverting)
        {
            var update = await lifecycle.ChangeAsync(stored, r =>
            {
                if (r.Status != RequestStatus.Reverting)
                {
                    return false;
                }
                record(r);
                return true;
            }, ct);
            if (update.StatusChanged)
            {
                await gate.AfterAsync(update.Request, ct);
                return outcome;
            }
            stored = update.Stored;
        }
        if ((outcome is ProcessOutcome.Reverted or ProcessOutcome.RevertFailed) && stored.Value.Status == RequestStatus.Unmatched)
        {
            // Another run of this event found nothing to undo (this run's revoke came first) and recorded Unmatched
            // before this run's insert. This run changed AWS, so its outcome is the true one: record it over the
            // Unmatched (one conditional write), so the change is shown to approvers instead of lost.
            var superseded = await lifecycle.ChangeAsync(stored, r =>
            {
                if (r.Status != RequestStatus.Unmatched)
                {
                    return false;
                }
                r.ReopenForOutcome(time.GetUtcNow());
                record(r);
                return true;
            }, ct);
            if (superseded.StatusChanged)
            {
                LogOutcomeSuperseded(logger, stored.Value.Id, change.EventId, superseded.Request.Status);
                await gate.AfterAsync(superseded.Request, ct);
                return outcome;
            }
            stored = superseded.Stored;
            if (stored.Value.Status == RequestStatus.Unmatched)
            {
                telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "outcome_lost"));
                LogOutcomeLost(logger, stored.Value.Id, change.EventId);
            }
        }
        LogAlreadyProcessed(logger, stored.Value.Id, change.EventId, stored.Value.Status);
        return ProcessOutcome.AlreadyProcessed;
    }

    /// <summary>
    /// The storage-less fallback for an add. No lease is taken (the lease lives in Table Storage), and none is needed for
    /// this one call: the lease keeps two reconciles of a group from acting on each other's stale describe — one giving
    /// access back while another takes it away. A revoke by rule id can only take away, and only the rule with that id:
    /// EC2 never reuses a rule id, and giving the same access back (an approval, a re-authorise) creates a rule with a
    /// new id, so a concurrent reconcile's work cannot be undone by it. Racing another revoke of the same id costs a
    /// NotFound error, handled like any failure here: the storage error escapes and the queue retries.
    /// <para>
    /// Only ids whose live rule has the access the event claims are revoked (never trust the event: an id alone could
    /// name an approved rule). Afterwards the change is re-queued with <see cref="SecurityGroupChange.Fallback"/>: the
    /// reconcile that runs once storage is back finds nothing left to undo and, seeing the fallback, writes the request
    /// Reverted (then Pending for approval as usual) instead of Unmatched. If the queue is down as well, the storage error
    /// escapes and the message is retried; that later run finds the rules gone and records Unmatched, with the Critical
    /// log entry and the storage counter as the record of what the fallback did.
    /// </para>
    /// </summary>
    private async Task<ProcessOutcome> RevokeWithoutStorageAsync(SecurityGroupChange change, Exception storageError, CancellationToken ct)
    {
        var claimed = change.Rules.Where(r => r.RuleId is not null).ToArray();
        var client = await aws.CreateAsync(change.AccountId, change.Region, ct);
        var groupId = change.GroupId ?? (await client.DescribeGroupAsync(null, change.GroupName, ct))?.GroupId;
        if (claimed.Length == 0 || groupId is null)
        {
            LogFallbackImpossible(logger, storageError, change.EventId, change.AccountId, change.GroupLabel);
            throw Rethrow(storageError);
        }
        var live = await client.DescribeRulesAsync(groupId, ct);
        var ids = live.Where(l => l.RuleId is not null && claimed.Any(c => c.RuleId == l.RuleId && c.SameAccessAs(l)))
            .Select(l => (l.RuleId!, l.Egress)).ToArray();
        if (ids.Length == 0)
        {
            // Nothing the event claims is still there: nothing to take away; the request waits for storage.
            LogFallbackNothing(logger, storageError, change.EventId, change.AccountId, groupId);
            throw Rethrow(storageError);
        }
        var outcomes = new List<CallOutcome>();
        foreach (var write in new Ec2Write[]
                 {
                     new RevokeIngressByIds(groupId, ids.Where(i => !i.Egress).Select(i => i.Item1).ToArray()),
                     new RevokeEgressByIds(groupId, ids.Where(i => i.Egress).Select(i => i.Item1).ToArray()),
                 })
        {
            if (write is RevokeIngressByIds { RuleIds.Count: 0 } or RevokeEgressByIds { RuleIds.Count: 0 })
            {
                continue;
            }
            outcomes.Add(await client.ExecuteAsync(write, ct));
        }
        var outcome = CallOutcomes.Combine(outcomes, "Nothing to undo.");
        var revoked = ids.Select(i => i.Item1).ToArray();
        LogFallbackRevoked(logger, storageError, change.EventId, change.AccountId, groupId, string.Join(",", revoked), outcome.Succeeded, outcome.ErrorCode);
        if (!outcome.Succeeded)
        {
            throw Rethrow(storageError);
        }
        return await ForwardAsync(change, groupId, revoked, outcome, storageError, ct);
    }

    /// <summary>
    /// Re-queues a change whose rules were revoked while its request could not be written, carrying what was revoked
    /// (<see cref="SecurityGroupChange.Fallback"/>), so the later run records Reverted rather than Unmatched.
    /// </summary>
    private async Task<ProcessOutcome> ForwardAsync(SecurityGroupChange change, string groupId, IReadOnlyList<string> revoked, CallOutcome outcome, Exception storageError, CancellationToken ct)
    {
        var forward = change.WithGroupId(groupId) with
        {
            Fallback = new FallbackRevoke(revoked, outcome with
            {
                Notes = [.. outcome.Notes, $"Revoked by rule id while Table Storage was unreachable ({storageError.GetType().Name}); recorded once it answered again."],
            }, time.GetUtcNow()),
        };
        try
        {
            // Without a queue (a processor built without one) the outcome cannot be carried: as if the queue were down.
            await queue.SendAsync(QueueNames.Changes, forward, ct);
        }
        catch (Exception sendError) when (sendError is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogForwardFailed(logger, sendError, change.EventId);
            unrecorded.Hold(forward, (c, token) => queue.SendAsync(QueueNames.Changes, c, token));
            throw Rethrow(storageError);
        }
        return ProcessOutcome.RevokedWithoutStorage;
    }

    /// <summary>Opens (or finds) the request of a change: the id is the event's; the poison reader opens it the same way.</summary>
    internal static Task<(Stored<ChangeRequest>, bool)> OpenRequestAsync(RequestLifecycle lifecycle, SecurityGroupChange change, DateTimeOffset now, CancellationToken ct) =>
        OpenRequestAsync(lifecycle, change, now, static _ => { }, ct);

    /// <summary>As above, inserting the request with <paramref name="record"/> applied (its outcome) when it is new.</summary>
    internal static async Task<(Stored<ChangeRequest>, bool)> OpenRequestAsync(RequestLifecycle lifecycle, SecurityGroupChange change, DateTimeOffset now,
        Action<ChangeRequest> record, CancellationToken ct)
    {
        // The id is derived from the event id; on the rare clash with another event's id, take a longer one.
        for (var length = RequestId.DefaultLength; ; length += 4)
        {
            var id = RequestId.For(change.EventId, Math.Min(length, RequestId.MaxLength));
            var request = ChangeRequest.Open(id, change, now);
            record(request);
            var (stored, created) = await lifecycle.OpenAsync(request, ct);
            if (created || stored.Value.EventId == change.EventId || length >= RequestId.MaxLength)
            {
                return (stored, created);
            }
        }
    }

    private async Task<ProcessOutcome> ReconcileAsync(SecurityGroupChange change, PolicyVerdict verdict, long dequeueCount, CancellationToken ct)
    {
        var requestId = RequestId.For(change.EventId);
        var client = await aws.CreateAsync(change.AccountId, change.Region, ct);
        var groupId = change.GroupId;
        if (groupId is null)
        {
            // Default VPC: the event may name the group only by name.
            groupId = (await client.DescribeGroupAsync(null, change.GroupName, ct))?.GroupId;
            if (groupId is null)
            {
                return await UnmatchedAsync(change, null, $"Security group {change.GroupLabel} no longer exists in {change.AccountId}/{change.Region}: nothing to undo.", ct);
            }
        }

        var exempt = verdict.Verdict == Verdict.Exempt;
        var report = await reconciler.ReconcileAsync(client, change.AccountId, change.Region, groupId,
            new ReconcileScope.Event(change.WithGroupId(groupId), exempt), reportOnly: false, ct);
        if (!report.GroupExists)
        {
            return await UnmatchedAsync(change, report, report.Outcome.Message!, ct);
        }
        if (exempt)
        {
            var exemptOutcome = await RecordAsync(change, ProcessOutcome.Exempt, r =>
            {
                r.RecordFound(groupId, report.GroupName, report.VpcId, r.Rules, r.UnresolvedRuleIds, r.Edits, false, time.GetUtcNow());
                r.MarkExempt(verdict.Reason, WithFirstSight(report.Outcome, report), time.GetUtcNow());
            }, ct);
            LogExempt(logger, requestId, change.AccountId, groupId, verdict.Reason);
            return exemptOutcome;
        }
        if (report.Acted.Count == 0 && change.Fallback is { } fallback)
        {
            // Nothing left to undo because the storage-less fallback already revoked it: the change was reverted.
            var rules = change.Rules.Where(r => r.RuleId is not null && fallback.RuleIds.Contains(r.RuleId)).ToArray();
            var recorded = await RecordAsync(change, ProcessOutcome.Reverted, r =>
            {
                r.RecordFound(groupId, report.GroupName, report.VpcId, rules, [], [], false, time.GetUtcNow());
                r.MarkReverted(WithFirstSight(fallback.Outcome, report), time.GetUtcNow());
            }, ct);
            LogReverted(logger, requestId, change.AccountId, change.Region, groupId, fallback.Outcome.Call);
            telemetry.RevertLatency.Record((fallback.At - change.EventTime).TotalSeconds);
            return recorded;
        }
        if (report.Acted.Count == 0)
        {
            var why = change.Kind switch
            {
                ChangeKind.Add => "none of the rules it claims to add is in the group unapproved",
                ChangeKind.Remove => "none of the rules it claims to remove is an approved rule missing from the group",
                _ => "none of the rules it claims to edit differs from its approved content",
            };
            // A retry of a message whose earlier try left the request open may itself have made the change before it
            // failed (the EC2 answer lost, or the worker stopped before this write): say so rather than "nothing changed".
            var retried = dequeueCount > 1
                ? $" This is try {dequeueCount}: an earlier try may have undone it before failing (a lost EC2 response or a stop between its revoke and this record); see the worker's log."
                : "";
            if (dequeueCount > 1)
            {
                telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "outcome_uncertain"));
            }
            return await UnmatchedAsync(change, report,
                $"The event did not match the group: {why}. Nothing was changed in AWS by this try (a late, repeated or forged event, or a change already undone).{retried}", ct);
        }

        var found = Found(change.Kind, report.Acted);
        ProcessOutcome outcome;
        try
        {
            outcome = await RecordAsync(change, report.Succeeded ? ProcessOutcome.Reverted : ProcessOutcome.RevertFailed, r =>
            {
                r.RecordFound(groupId, report.GroupName, report.VpcId, found.Rules, [], found.Edits, found.Edits.Any(e => e.Before is null), time.GetUtcNow());
                if (report.Succeeded)
                {
                    r.MarkReverted(WithFirstSight(report.Outcome, report), time.GetUtcNow());
                }
                else
                {
                    r.MarkRevertFailed(report.Outcome, time.GetUtcNow());
                }
            }, ct);
        }
        catch (Exception storageError) when (StorageFailure.IsUnavailable(storageError) && report.Succeeded && change.Kind == ChangeKind.Add && change.Fallback is null)
        {
            // AWS was changed but the record cannot be written: carry the revoke forward, as the storage-less fallback does.
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "storage"), new KeyValuePair<string, object?>("queue", QueueNames.Changes));
            var revoked = found.Rules.Where(r => r.RuleId is not null).Select(r => r.RuleId!).ToArray();
            return await ForwardAsync(change, groupId, revoked, report.Outcome, storageError, ct);
        }
        if (report.Succeeded)
        {
            LogReverted(logger, requestId, change.AccountId, change.Region, groupId, report.Outcome.Call);
            telemetry.RevertLatency.Record((time.GetUtcNow() - change.EventTime).TotalSeconds);
            return outcome;
        }
        LogRevertFailed(logger, requestId, change.AccountId, groupId, report.Outcome.ErrorCode, report.Outcome.Message);
        return outcome;
    }

    /// <summary>What the request records: the differences actually found and undone, in the shape of the change's kind.</summary>
    internal static (IReadOnlyList<SecurityGroupRule> Rules, IReadOnlyList<RuleEdit> Edits) Found(ChangeKind kind, IReadOnlyList<DifferenceItem> acted) => kind switch
    {
        ChangeKind.Add => (acted.Where(i => i.Kind == DifferenceKind.Unapproved).Select(i => i.Live!).ToArray(), []),
        ChangeKind.Remove => (acted.Where(i => i.Kind == DifferenceKind.Missing).Select(i => i.Approved!).ToArray(), []),
        _ => ([], acted.Where(i => i.Kind is DifferenceKind.Changed or DifferenceKind.Unapproved)
            .Select(i => new RuleEdit(i.Live!.RuleId!, i.Approved is { } a ? a with { RuleId = i.Live.RuleId } : null, i.Live)).ToArray()),
    };

    /// <summary>Throws <paramref name="error"/> again with its original stack, as the queue's retry should see it.</summary>
    private static Exception Rethrow(Exception error)
    {
        ExceptionDispatchInfo.Throw(error);
        return error;
    }

    private static CallOutcome WithFirstSight(CallOutcome outcome, ReconcileReport report) =>
        report.FirstSight is null ? outcome : outcome with { Notes = [report.FirstSight, .. outcome.Notes] };

    private async Task<ProcessOutcome> UnmatchedAsync(SecurityGroupChange change, ReconcileReport? report, string message, CancellationToken ct)
    {
        var outcome = new CallOutcome("none", true, Message: message)
        {
            Notes = [.. report?.FirstSight is { } f ? [f] : Array.Empty<string>(), .. report?.Deferred.Select(d => "left for the settle check: " + d.Describe()) ?? []],
        };
        var recorded = await RecordAsync(change, ProcessOutcome.Unmatched, r => r.MarkUnmatched(outcome, time.GetUtcNow()), ct);
        LogUnmatched(logger, RequestId.For(change.EventId), change.EventId, change.AccountId, change.GroupLabel, message);
        return recorded;
    }

    private async Task GiveUpAsync(SecurityGroupChange change, Exception ex, long dequeueCount, CancellationToken ct)
    {
        LogGivingUp(logger, ex, RequestId.For(change.EventId), dequeueCount);
        var code = Ec2ErrorText.CodeOf(ex);
        var failed = new CallOutcome("reconcile", false, code, $"Gave up after {dequeueCount} tries: {ex.Message}");
        await RecordAsync(change, ProcessOutcome.RevertFailed, r => r.MarkRevertFailed(failed, time.GetUtcNow()), ct);
    }

    [LoggerMessage(1, LogLevel.Information, "Ignored event {EventId} in {AccountId} on {GroupId}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string eventId, string accountId, string groupId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Request {RequestId} in {AccountId} on {GroupId} recorded as exempt: {Reason}")]
    private static partial void LogExempt(ILogger logger, string requestId, string accountId, string groupId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Request {RequestId} for event {EventId} is already {Status}: nothing to do")]
    private static partial void LogAlreadyProcessed(ILogger logger, string requestId, string eventId, RequestStatus status);

    [LoggerMessage(4, LogLevel.Information, "Request {RequestId}: reverted in {AccountId}/{Region} on {GroupId} with {Call}")]
    private static partial void LogReverted(ILogger logger, string requestId, string accountId, string region, string groupId, string call);

    [LoggerMessage(5, LogLevel.Error, "Request {RequestId}: REVERT FAILED in {AccountId} on {GroupId}: {ErrorCode} {Message}. The unapproved change may still be live.")]
    private static partial void LogRevertFailed(ILogger logger, string requestId, string accountId, string groupId, string? errorCode, string? message);

    [LoggerMessage(6, LogLevel.Critical, "Request {RequestId}: giving up the revert after {DequeueCount} tries; the message goes to the poison queue. The unapproved change may still be live.")]
    private static partial void LogGivingUp(ILogger logger, Exception exception, string requestId, long dequeueCount);

    [LoggerMessage(7, LogLevel.Warning, "Request {RequestId} for event {EventId} in {AccountId} on {GroupId} did not match the group: {Message}")]
    private static partial void LogUnmatched(ILogger logger, string requestId, string eventId, string accountId, string groupId, string message);

    [LoggerMessage(9, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: Table Storage unreachable; a {Kind} waits for it (retried)")]
    private static partial void LogStorageWait(ILogger logger, Exception exception, string eventId, string accountId, string groupId, ChangeKind kind);

    [LoggerMessage(10, LogLevel.Critical, "Event {EventId} in {AccountId} on {GroupId}: Table Storage unreachable and the event names no rule id to revoke; nothing reverted until storage answers")]
    private static partial void LogFallbackImpossible(ILogger logger, Exception exception, string eventId, string accountId, string groupId);

    [LoggerMessage(11, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: Table Storage unreachable; none of the claimed rules is in the group, nothing to revoke")]
    private static partial void LogFallbackNothing(ILogger logger, Exception exception, string eventId, string accountId, string groupId);

    [LoggerMessage(12, LogLevel.Critical, "Event {EventId} in {AccountId} on {GroupId}: Table Storage unreachable; revoked rule(s) {RuleIds} by id without the approved state (succeeded {Succeeded}, {ErrorCode})")]
    private static partial void LogFallbackRevoked(ILogger logger, Exception exception, string eventId, string accountId, string groupId, string ruleIds, bool succeeded, string? errorCode);

    [LoggerMessage(13, LogLevel.Critical, "Event {EventId}: revoked without storage, but could not re-queue the change to record it; retrying (the later run will find nothing to undo)")]
    private static partial void LogForwardFailed(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(14, LogLevel.Critical, "Request {RequestId} for event {EventId}: this run reverted the change but another run had already recorded it as Unmatched; the request's record is wrong (the revoke stands)")]
    private static partial void LogOutcomeLost(ILogger logger, string requestId, string eventId);

    [LoggerMessage(15, LogLevel.Warning, "Request {RequestId} for event {EventId}: another run of the event had recorded it Unmatched before this run recorded its revert; now {Status}")]
    private static partial void LogOutcomeSuperseded(ILogger logger, string requestId, string eventId, RequestStatus status);

    [LoggerMessage(16, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: {Reason} Sent again, visible in {Delay}")]
    private static partial void LogBusy(ILogger logger, string eventId, string accountId, string groupId, string reason, TimeSpan delay);

    [LoggerMessage(8, LogLevel.Error, "Refused event {EventId}: account {AccountId} is not in Policy:AllowedAccounts (the message did not come through intake)")]
    private static partial void LogRefused(ILogger logger, string eventId, string accountId);
}
