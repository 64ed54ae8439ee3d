using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Carries out an approved request (the <see cref="EffectKind.Apply"/> effect): its change is written into the group's
/// approved state (once: the state remembers which requests it holds), then the group is reconciled, so a redelivered
/// apply finds nothing to do. A permanent AWS error ends it ApplyFailed at once, a transient one on the last try.
/// </summary>
public sealed partial class ApplyService(
    IRequestStore requests,
    RequestLifecycle lifecycle,
    GroupReconciler reconciler,
    ISecurityGroupClientFactory aws,
    IOptions<ProcessingOptions> options,
    TimeProvider time,
    ILogger<ApplyService> logger,
    IAccessExpiryIndex expiries)
{
    /// <summary>Applies a stored request by id (tests and tools; the effects worker passes the row it read).</summary>
    public async Task<RequestStatus?> ApplyAsync(string requestId, long dequeueCount, CancellationToken cancellationToken)
    {
        var stored = await requests.GetAsync(requestId, cancellationToken);
        if (stored is null)
        {
            LogMissing(logger, requestId);
            return null;
        }
        return await ApplyAsync(stored.Value, dequeueCount, cancellationToken);
    }

    public async Task<RequestStatus?> ApplyAsync(ChangeRequest request, long dequeueCount, CancellationToken cancellationToken)
    {
        if (request.Status != RequestStatus.Approved)
        {
            LogNotApproved(logger, request.Id, request.Status);
            return request.Status;
        }
        if (request.GroupId is null)
        {
            return await RecordAsync(request.Id, new CallOutcome("none", false, "InvalidGroup.NotFound", "The request names no group id."), cancellationToken);
        }

        if (request.AccessUntil is { } until && request.Kind != ChangeKind.Remove)
        {
            // The expiry row before the approved state holds the access: a crash in between leaves a row that finds nothing due.
            await expiries.AddAsync(new AccessExpiryEntry(until, request.Id, request.AccountId, request.Region, request.GroupId), cancellationToken);
        }

        try
        {
            var client = await aws.CreateAsync(request.AccountId, request.Region, cancellationToken);
            var report = await reconciler.ReconcileAsync(client, request.AccountId, request.Region, request.GroupId,
                new ReconcileScope.Approval(request), reportOnly: false, cancellationToken);
            var outcome = !report.GroupExists
                ? new CallOutcome("ec2:DescribeSecurityGroupRules", false, "InvalidGroup.NotFound", report.Outcome.Message)
                : report.Outcome.Succeeded
                    ? report.Outcome with { Message = report.Acted.Count == 0 ? "Nothing left to apply: the change is already in effect." : report.Outcome.Message }
                    : report.Outcome with { Message = $"{Ec2ErrorText.Explain(report.Outcome.ErrorCode)} ({report.Outcome.Message})" };
            return await RecordAsync(request.Id, outcome, cancellationToken);
        }
        catch (RoleNotAssumableException ex)
        {
            return await RecordAsync(request.Id, new CallOutcome("sts:AssumeRole", false, "RoleNotDeployed", ex.Message), cancellationToken);
        }
        catch (Exception ex) when (dequeueCount >= options.Value.MaxDequeueCount && ex is not OperationCanceledException)
        {
            LogGivingUp(logger, ex, request.Id, dequeueCount);
            var code = Ec2ErrorText.CodeOf(ex);
            await RecordAsync(request.Id, new CallOutcome("apply", false, code, $"Gave up after {dequeueCount} tries: {ex.Message}"), cancellationToken);
            throw;
        }
    }

    private async Task<RequestStatus?> RecordAsync(string requestId, CallOutcome outcome, CancellationToken ct)
    {
        var update = await lifecycle.ChangeAsync(requestId, r =>
        {
            if (r.Status != RequestStatus.Approved)
            {
                return false;
            }
            if (outcome.Succeeded)
            {
                r.MarkApplied(outcome, time.GetUtcNow());
            }
            else
            {
                r.MarkApplyFailed(outcome, time.GetUtcNow());
            }
            return true;
        }, ct);
        if (update is { Written: true } u)
        {
            if (outcome.Succeeded)
            {
                LogApplied(logger, u.Request.Id, u.Request.AccountId, u.Request.GroupId, outcome.Call);
            }
            else
            {
                LogFailed(logger, u.Request.Id, u.Request.AccountId, u.Request.GroupId, outcome.ErrorCode, outcome.Message);
            }
        }
        return update?.Request.Status;
    }

    [LoggerMessage(201, LogLevel.Warning, "Apply: request {RequestId} not found")]
    private static partial void LogMissing(ILogger logger, string requestId);

    [LoggerMessage(202, LogLevel.Information, "Apply: request {RequestId} is {Status}, not Approved: nothing to do")]
    private static partial void LogNotApproved(ILogger logger, string requestId, RequestStatus status);

    [LoggerMessage(203, LogLevel.Information, "Request {RequestId}: applied in {AccountId} on {GroupId} with {Call}")]
    private static partial void LogApplied(ILogger logger, string requestId, string accountId, string? groupId, string call);

    [LoggerMessage(204, LogLevel.Error, "Request {RequestId}: APPLY FAILED in {AccountId} on {GroupId}: {ErrorCode} {Message}")]
    private static partial void LogFailed(ILogger logger, string requestId, string accountId, string? groupId, string? errorCode, string? message);

    [LoggerMessage(205, LogLevel.Critical, "Request {RequestId}: giving up the apply after {DequeueCount} tries; the message goes to the poison queue")]
    private static partial void LogGivingUp(ILogger logger, Exception exception, string requestId, long dequeueCount);
}
