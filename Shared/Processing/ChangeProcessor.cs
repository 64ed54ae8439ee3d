using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

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
}

/// <summary>
/// The queue worker's job for one event: open the request (idempotent on the CloudTrail event id), then reconcile the
/// group — describe it once and undo the difference from its approved state that the event's claim explains. The event
/// is believed only as far as the group confirms it: a claim that matches nothing changes nothing in AWS and the
/// request says so (Unmatched). Transient failures escape so the queue retries; on the last try the request is marked
/// RevertFailed before the message goes to the poison queue.
/// </summary>
public sealed partial class ChangeProcessor(
    ChangePolicy policy,
    RequestLifecycle lifecycle,
    GroupReconciler reconciler,
    ISecurityGroupClientFactory aws,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ChangeProcessor> logger,
    BridgeTelemetry? telemetry = null)
{
    private readonly int _maxDequeueCount = options.Value.MaxDequeueCount;

    public async Task<ProcessOutcome> ProcessAsync(SecurityGroupChange change, long dequeueCount, CancellationToken cancellationToken)
    {
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

        var (stored, _) = await OpenAsync(change, cancellationToken);
        if (stored.Value.Status != RequestStatus.Reverting)
        {
            // A redelivered event or message: the request exists and its work is done. Nothing runs twice.
            LogAlreadyProcessed(logger, stored.Value.Id, change.EventId, stored.Value.Status);
            return ProcessOutcome.AlreadyProcessed;
        }

        try
        {
            return await ReconcileAsync(change, stored, verdict, cancellationToken);
        }
        catch (RoleNotAssumableException ex)
        {
            // Retrying will not deploy the member role: fail the request at once, visibly.
            var failed = new CallOutcome("sts:AssumeRole", false, "RoleNotDeployed", ex.Message);
            await lifecycle.ChangeAsync(stored, r =>
            {
                if (r.Status != RequestStatus.Reverting)
                {
                    return false;
                }
                r.MarkRevertFailed(failed, time.GetUtcNow());
                return true;
            }, cancellationToken);
            LogRevertFailed(logger, stored.Value.Id, change.AccountId, change.GroupLabel, failed.ErrorCode, failed.Message);
            return ProcessOutcome.RevertFailed;
        }
        catch (Exception ex) when (dequeueCount >= _maxDequeueCount && ex is not OperationCanceledException)
        {
            await GiveUpAsync(stored.Value.Id, ex, dequeueCount, cancellationToken);
            throw;
        }
    }

    private async Task<(Stored<ChangeRequest>, bool)> OpenAsync(SecurityGroupChange change, CancellationToken ct)
    {
        // The id is derived from the event id; on the rare clash with another event's id, take a longer one.
        for (var length = RequestId.DefaultLength; ; length += 4)
        {
            var id = RequestId.For(change.EventId, Math.Min(length, RequestId.MaxLength));
            var (stored, created) = await lifecycle.OpenAsync(ChangeRequest.Open(id, change, time.GetUtcNow()), ct);
            if (created || stored.Value.EventId == change.EventId || length >= RequestId.MaxLength)
            {
                return (stored, created);
            }
        }
    }

    private async Task<ProcessOutcome> ReconcileAsync(SecurityGroupChange change, Stored<ChangeRequest> stored, PolicyDecision verdict, CancellationToken ct)
    {
        var client = await aws.CreateAsync(change.AccountId, change.Region, ct);
        var groupId = change.GroupId;
        if (groupId is null)
        {
            // Default VPC: the event may name the group only by name.
            groupId = (await client.DescribeGroupAsync(null, change.GroupName, ct))?.GroupId;
            if (groupId is null)
            {
                return await UnmatchedAsync(stored, change, null, $"Security group {change.GroupLabel} no longer exists in {change.AccountId}/{change.Region}: nothing to undo.", ct);
            }
        }

        var exempt = verdict.Verdict == Verdict.Exempt;
        var report = await reconciler.ReconcileAsync(client, change.AccountId, change.Region, groupId,
            new ReconcileScope.Event(change.WithGroupId(groupId), exempt), reportOnly: false, ct);
        if (!report.GroupExists)
        {
            return await UnmatchedAsync(stored, change, report, report.Outcome.Message!, ct);
        }
        if (exempt)
        {
            await lifecycle.ChangeAsync(stored, r =>
            {
                r.Describe(groupId, report.GroupName, report.VpcId, r.Rules, r.UnresolvedRuleIds, r.Edits, false, time.GetUtcNow());
                r.MarkExempt(verdict.Reason, WithFirstSight(report.Outcome, report), time.GetUtcNow());
                return true;
            }, ct);
            LogExempt(logger, stored.Value.Id, change.AccountId, groupId, verdict.Reason);
            return ProcessOutcome.Exempt;
        }
        if (report.Acted.Count == 0)
        {
            var why = change.Kind switch
            {
                ChangeKind.Add => "none of the rules it claims to add is in the group unapproved",
                ChangeKind.Remove => "none of the rules it claims to remove is an approved rule missing from the group",
                _ => "none of the rules it claims to edit differs from its approved content",
            };
            return await UnmatchedAsync(stored, change, report,
                $"The event did not match the group: {why}. Nothing was changed in AWS (a late, repeated or forged event, or a change already undone).", ct);
        }

        var found = Found(change.Kind, report.Acted);
        await lifecycle.ChangeAsync(stored, r =>
        {
            r.Describe(groupId, report.GroupName, report.VpcId, found.Rules, [], found.Edits, found.Edits.Any(e => e.Before is null), time.GetUtcNow());
            if (report.Succeeded)
            {
                r.MarkReverted(WithFirstSight(report.Outcome, report), time.GetUtcNow());
            }
            else
            {
                r.MarkRevertFailed(report.Outcome, time.GetUtcNow());
            }
            return true;
        }, ct);
        if (report.Succeeded)
        {
            LogReverted(logger, stored.Value.Id, change.AccountId, change.Region, groupId, report.Outcome.Call);
            telemetry?.RevertLatency.Record((time.GetUtcNow() - change.EventTime).TotalSeconds);
            return ProcessOutcome.Reverted;
        }
        LogRevertFailed(logger, stored.Value.Id, change.AccountId, groupId, report.Outcome.ErrorCode, report.Outcome.Message);
        return ProcessOutcome.RevertFailed;
    }

    /// <summary>What the request records: the differences actually found and undone, in the shape of the change's kind.</summary>
    internal static (IReadOnlyList<SecurityGroupRule> Rules, IReadOnlyList<RuleEdit> Edits) Found(ChangeKind kind, IReadOnlyList<DifferenceItem> acted) => kind switch
    {
        ChangeKind.Add => (acted.Where(i => i.Kind == DifferenceKind.Unapproved).Select(i => i.Live!).ToArray(), []),
        ChangeKind.Remove => (acted.Where(i => i.Kind == DifferenceKind.Missing).Select(i => i.Approved!).ToArray(), []),
        _ => ([], acted.Where(i => i.Kind is DifferenceKind.Changed or DifferenceKind.Unapproved)
            .Select(i => new RuleEdit(i.Live!.RuleId!, i.Approved is { } a ? a with { RuleId = i.Live.RuleId } : null, i.Live)).ToArray()),
    };

    private static CallOutcome WithFirstSight(CallOutcome outcome, ReconcileReport report) =>
        report.FirstSight is null ? outcome : outcome with { Notes = [report.FirstSight, .. outcome.Notes] };

    private async Task<ProcessOutcome> UnmatchedAsync(Stored<ChangeRequest> stored, SecurityGroupChange change, ReconcileReport? report, string message, CancellationToken ct)
    {
        var outcome = new CallOutcome("none", true, Message: message)
        {
            Notes = [.. report?.FirstSight is { } f ? [f] : Array.Empty<string>(), .. report?.Deferred.Select(d => "left for the settle check: " + d.Describe()) ?? []],
        };
        await lifecycle.ChangeAsync(stored, r =>
        {
            r.MarkUnmatched(outcome, time.GetUtcNow());
            return true;
        }, ct);
        LogUnmatched(logger, stored.Value.Id, change.EventId, change.AccountId, change.GroupLabel, message);
        return ProcessOutcome.Unmatched;
    }

    private async Task GiveUpAsync(string requestId, Exception ex, long dequeueCount, CancellationToken ct)
    {
        LogGivingUp(logger, ex, requestId, dequeueCount);
        var code = ex is Amazon.Runtime.AmazonServiceException a ? a.ErrorCode : ex.GetType().Name;
        var failed = new CallOutcome("reconcile", false, code, $"Gave up after {dequeueCount} tries: {ex.Message}");
        await lifecycle.ChangeAsync(requestId, r =>
        {
            if (r.Status != RequestStatus.Reverting)
            {
                return false;
            }
            r.MarkRevertFailed(failed, time.GetUtcNow());
            return true;
        }, ct);
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

    [LoggerMessage(8, LogLevel.Error, "Refused event {EventId}: account {AccountId} is not in Policy:AllowedAccounts (the message did not come through intake)")]
    private static partial void LogRefused(ILogger logger, string eventId, string accountId);
}
