using Microsoft.Extensions.Logging;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>A queued instruction to carry out an approved request.</summary>
public sealed record ApplyCommand(string RequestId);

/// <summary>
/// Carries out an approved request in AWS exactly once: only a request in Approved is applied, and the outcome
/// (Applied, or Failed with the AWS error code) is stored with the request's ETag before anyone is told.
/// The bridge's own apply comes back through CloudTrail as the bridge's role and is ignored there.
/// </summary>
public sealed partial class ApplyService(
    IRequestStore requests,
    SnapshotKeeper snapshots,
    ISecurityGroupClientFactory aws,
    RequestLifecycle lifecycle,
    TimeProvider time,
    ILogger<ApplyService> logger)
{
    public async Task<RequestStatus?> ApplyAsync(ApplyCommand command, CancellationToken cancellationToken)
    {
        var stored = await requests.GetAsync(command.RequestId, cancellationToken);
        if (stored is null)
        {
            LogMissing(logger, command.RequestId);
            return null;
        }
        var request = stored.Value;
        if (request.Status != RequestStatus.Approved)
        {
            LogNotApproved(logger, request.Id, request.Status);
            return request.Status;
        }

        var client = await aws.CreateAsync(request.AccountId, request.Region, cancellationToken);
        var outcomes = new List<CallOutcome>();
        foreach (var write in ApplyPlanner.Plan(request))
        {
            var outcome = await client.ExecuteAsync(write, cancellationToken);
            outcomes.Add(outcome);
            if (!outcome.Succeeded)
            {
                break;
            }
        }
        var failed = outcomes.FirstOrDefault(o => !o.Succeeded);
        var call = outcomes.Count == 0 ? "none" : string.Join(" + ", outcomes.Select(o => o.Call));
        var result = failed is null
            ? new CallOutcome(call, true, Message: outcomes.Count == 0 ? "Nothing left to apply: the change is already in effect." : null)
            {
                Notes = outcomes.SelectMany(o => o.Notes).ToList(),
            }
            : failed with { Message = $"{Ec2ErrorText.Explain(failed.ErrorCode)} ({failed.Message})" };

        // Record the outcome through the one update primitive; the EC2 call is never repeated for a lost race.
        var update = await lifecycle.ChangeAsync(stored, r =>
        {
            if (r.Status != RequestStatus.Approved)
            {
                return false;
            }
            if (failed is null)
            {
                r.MarkApplied(result, time.GetUtcNow());
            }
            else
            {
                r.MarkApplyFailed(result, time.GetUtcNow());
            }
            return true;
        }, cancellationToken);
        request = update.Request;
        if (!update.Written)
        {
            LogNotApproved(logger, request.Id, request.Status);
            return request.Status;
        }
        if (failed is null)
        {
            LogApplied(logger, request.Id, request.AccountId, request.GroupId, call);
        }
        else
        {
            LogFailed(logger, request.Id, request.AccountId, request.GroupId, failed.ErrorCode);
        }

        await snapshots.RefreshAsync(client, request.AccountId, request.Region, request.GroupId, cancellationToken);
        return request.Status;
    }

    [LoggerMessage(201, LogLevel.Warning, "Apply: request {ApprovalId} not found")]
    private static partial void LogMissing(ILogger logger, string approvalId);

    [LoggerMessage(202, LogLevel.Information, "Apply: request {ApprovalId} is {Status}, not Approved: nothing to do")]
    private static partial void LogNotApproved(ILogger logger, string approvalId, RequestStatus status);

    [LoggerMessage(203, LogLevel.Information, "Request {ApprovalId}: applied in {AccountId} on {GroupId} with {Call}")]
    private static partial void LogApplied(ILogger logger, string approvalId, string accountId, string? groupId, string call);

    [LoggerMessage(204, LogLevel.Warning, "Request {ApprovalId}: apply failed in {AccountId} on {GroupId}: {ErrorCode}")]
    private static partial void LogFailed(ILogger logger, string approvalId, string accountId, string? groupId, string? errorCode);
}
