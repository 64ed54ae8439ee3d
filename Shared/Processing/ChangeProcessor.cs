using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

public enum ProcessOutcome
{
    Reverted,
    RevertFailed,
    Exempt,
    IgnoredBridgeOwn,
    AlreadyProcessed,
}

/// <summary>
/// The queue worker's job for one change: open the request (idempotent on the CloudTrail event id), revert the change
/// in AWS at once, remember the group's approved rules, and tell people. Transient failures escape so the queue retries;
/// on the last try the request is marked RevertFailed before the message goes to the poison queue.
/// </summary>
public sealed partial class ChangeProcessor(
    ChangePolicy policy,
    IRequestStore requests,
    SnapshotKeeper snapshots,
    ISecurityGroupClientFactory aws,
    IRequestNotifier notifier,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ChangeProcessor> logger)
{
    private readonly int _maxDequeueCount = options.Value.MaxDequeueCount;

    public async Task<ProcessOutcome> ProcessAsync(SecurityGroupChange change, long dequeueCount, CancellationToken cancellationToken)
    {
        var decision = policy.Evaluate(change);
        if (decision.Verdict == Verdict.BridgeOwn)
        {
            LogIgnored(logger, change.EventId, change.AccountId, change.GroupLabel, decision.Reason);
            return ProcessOutcome.IgnoredBridgeOwn;
        }

        var now = time.GetUtcNow();
        var (stored, created) = await OpenAsync(change, decision, now, cancellationToken);
        var request = stored.Value;
        if (decision.Verdict == Verdict.Exempt)
        {
            if (created)
            {
                LogExempt(logger, request.Id, change.AccountId, change.GroupLabel, decision.Reason);
                await notifier.RequestChangedAsync(request, cancellationToken);
            }
            return ProcessOutcome.Exempt;
        }
        if (request.Status != RequestStatus.Reverting)
        {
            // A redelivered event or message: the request exists and the revert is done. Nothing runs twice.
            LogAlreadyProcessed(logger, request.Id, change.EventId, request.Status);
            return ProcessOutcome.AlreadyProcessed;
        }

        try
        {
            return await RevertAsync(change, stored, cancellationToken);
        }
        catch (Exception ex) when (dequeueCount >= _maxDequeueCount && ex is not OperationCanceledException and not ConcurrencyConflictException)
        {
            await GiveUpAsync(request.Id, ex, dequeueCount, cancellationToken);
            throw;
        }
    }

    private async Task<(Stored<ChangeRequest>, bool)> OpenAsync(SecurityGroupChange change, PolicyDecision decision, DateTimeOffset now, CancellationToken ct)
    {
        // The id is derived from the event id; on the rare clash with another event's id, take a longer one.
        for (var length = RequestId.DefaultLength; ; length += 4)
        {
            var id = RequestId.For(change.EventId, Math.Min(length, RequestId.MaxLength));
            var request = decision.Verdict == Verdict.Exempt
                ? ChangeRequest.RecordExempt(id, change, decision.Reason, now)
                : ChangeRequest.Open(id, change, now);
            var (stored, created) = await requests.AddOrGetAsync(request, ct);
            if (created || stored.Value.EventId == change.EventId || length >= RequestId.MaxLength)
            {
                return (stored, created);
            }
        }
    }

    private async Task<ProcessOutcome> RevertAsync(SecurityGroupChange change, Stored<ChangeRequest> stored, CancellationToken ct)
    {
        var request = stored.Value;
        var client = await aws.CreateAsync(change.AccountId, change.Region, ct);

        // The revert goes first: nothing before it but a table read, unless a default-VPC event names the group only
        // by name. The group is described once, afterwards, for the request and the snapshot.
        var groupId = change.GroupId;
        GroupDescription? before = null;
        if (groupId is null)
        {
            before = await client.DescribeGroupAsync(null, change.GroupName, ct);
            if (before is null)
            {
                var missing = new CallOutcome("ec2:DescribeSecurityGroups", false, "InvalidGroup.NotFound",
                    $"Security group {change.GroupLabel} no longer exists in {change.AccountId}/{change.Region}: nothing to revert.");
                request.MarkRevertFailed(missing, time.GetUtcNow());
                await SaveAndNotifyAsync(request, stored.ETag, ct);
                LogRevertFailed(logger, request.Id, change.AccountId, change.GroupLabel, missing.ErrorCode, missing.Message);
                return ProcessOutcome.RevertFailed;
            }
            groupId = before.GroupId;
        }

        var snapshot = await snapshots.GetAsync(change.AccountId, change.Region, groupId, ct);
        var plan = RevertPlanner.Plan(change.WithGroupId(groupId), groupId, snapshot);
        var outcomes = new List<CallOutcome>();
        foreach (var write in plan.Writes)
        {
            var outcome = await client.ExecuteAsync(write, ct);
            outcomes.Add(outcome.Succeeded ? outcome : await ConfirmAlreadyRevertedAsync(client, write, outcome, ct));
        }
        var combined = Combine(outcomes, plan.Notes);
        var after = await client.DescribeGroupAsync(groupId, null, ct);
        request.Describe(groupId, after?.GroupName ?? before?.GroupName, after?.VpcId ?? before?.VpcId,
            plan.Rules, plan.UnresolvedRuleIds, plan.Edits, plan.PreviousContentUnknown, time.GetUtcNow());
        if (combined.Succeeded)
        {
            request.MarkReverted(combined, time.GetUtcNow());
            LogReverted(logger, request.Id, change.AccountId, change.Region, groupId, combined.Call);
        }
        else
        {
            request.MarkRevertFailed(combined, time.GetUtcNow());
            LogRevertFailed(logger, request.Id, change.AccountId, groupId, combined.ErrorCode, combined.Message);
        }

        await SaveAndNotifyAsync(request, stored.ETag, ct);
        if (combined.Succeeded && after is not null)
        {
            // Reverted, the group holds exactly its approved rules again: remember them. (After a failed revert it
            // may still hold the unapproved change, which must never become the "previous content".)
            await snapshots.SaveAsync(change.AccountId, change.Region, after, ct);
        }
        return combined.Succeeded ? ProcessOutcome.Reverted : ProcessOutcome.RevertFailed;
    }

    /// <summary>
    /// A revoke that finds nothing to revoke, or an authorise that finds the rule already there, may mean the group is
    /// already as the revert wants it (a retried message after a crash, or someone fixed it by hand). Look, and only then
    /// count it as done.
    /// </summary>
    private static async Task<CallOutcome> ConfirmAlreadyRevertedAsync(ISecurityGroupClient client, Ec2Write write, CallOutcome failed, CancellationToken ct)
    {
        var candidate = (write, failed.ErrorCode) switch
        {
            (RevokeIngressByIds or RevokeIngressByRules, "InvalidPermission.NotFound" or "InvalidSecurityGroupRuleId.NotFound" or "UnknownIpPermissions") => true,
            (AuthorizeIngress, "InvalidPermission.Duplicate") => true,
            _ => false,
        };
        if (!candidate)
        {
            return failed;
        }
        var group = await client.DescribeGroupAsync(write.GroupId, null, ct);
        if (group is null)
        {
            return failed;
        }
        var done = write switch
        {
            RevokeIngressByIds ids => !group.IngressRules.Any(r => r.RuleId is not null && ids.RuleIds.Contains(r.RuleId)),
            RevokeIngressByRules byRules => !byRules.Rules.Any(w => group.IngressRules.Any(r => r.SameAccessAs(w))),
            AuthorizeIngress add => add.Rules.All(w => group.IngressRules.Any(r => r.SameAccessAs(w))),
            _ => false,
        };
        return done
            ? failed with { Succeeded = true, Notes = [.. failed.Notes, $"EC2 said {failed.ErrorCode}, and the group already is as the revert wants it."] }
            : failed;
    }

    private static CallOutcome Combine(IReadOnlyList<CallOutcome> outcomes, IReadOnlyList<string> notes)
    {
        if (outcomes.Count == 0)
        {
            return new CallOutcome("none", true, Message: "Nothing to revert.") { Notes = notes };
        }
        var failed = outcomes.FirstOrDefault(o => !o.Succeeded);
        return new CallOutcome(
            string.Join(" + ", outcomes.Select(o => o.Call)),
            failed is null,
            failed?.ErrorCode,
            failed?.Message ?? string.Join(" ", outcomes.Select(o => o.Message).Where(m => !string.IsNullOrEmpty(m))))
        {
            Notes = [.. notes, .. outcomes.SelectMany(o => o.Notes)],
        };
    }

    private async Task SaveAndNotifyAsync(ChangeRequest request, string etag, CancellationToken ct)
    {
        await requests.ReplaceAsync(request, etag, ct);
        await notifier.RequestChangedAsync(request, ct);
    }

    private async Task GiveUpAsync(string requestId, Exception ex, long dequeueCount, CancellationToken ct)
    {
        LogGivingUp(logger, ex, requestId, dequeueCount);
        var current = await requests.GetAsync(requestId, ct);
        if (current is { Value.Status: RequestStatus.Reverting } s)
        {
            var code = ex is Amazon.Runtime.AmazonServiceException a ? a.ErrorCode : ex.GetType().Name;
            s.Value.MarkRevertFailed(new CallOutcome("revert", false, code, $"Gave up after {dequeueCount} tries: {ex.Message}"), time.GetUtcNow());
            await SaveAndNotifyAsync(s.Value, s.ETag, ct);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Ignored event {EventId} in {AccountId} on {GroupId}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string eventId, string accountId, string groupId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Request {ApprovalId} in {AccountId} on {GroupId} recorded as exempt: {Reason}")]
    private static partial void LogExempt(ILogger logger, string approvalId, string accountId, string groupId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Request {ApprovalId} for event {EventId} is already {Status}: nothing to do")]
    private static partial void LogAlreadyProcessed(ILogger logger, string approvalId, string eventId, RequestStatus status);

    [LoggerMessage(4, LogLevel.Information, "Request {ApprovalId}: reverted in {AccountId}/{Region} on {GroupId} with {Call}")]
    private static partial void LogReverted(ILogger logger, string approvalId, string accountId, string region, string groupId, string call);

    [LoggerMessage(5, LogLevel.Error, "Request {ApprovalId}: REVERT FAILED in {AccountId} on {GroupId}: {ErrorCode} {Message}. The unapproved change may still be live.")]
    private static partial void LogRevertFailed(ILogger logger, string approvalId, string accountId, string groupId, string? errorCode, string? message);

    [LoggerMessage(6, LogLevel.Critical, "Request {ApprovalId}: giving up the revert after {DequeueCount} tries; the message goes to the poison queue. The unapproved change may still be live.")]
    private static partial void LogGivingUp(ILogger logger, Exception exception, string approvalId, long dequeueCount);
}
