using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Approvals;

public sealed partial class DecisionService
{
    /// <summary>Queues the apply of an approved request within the click's budget. False: not queued (counted and logged).</summary>
    private async Task<bool> QueueApplyAsync(ChangeRequest approved, string path, CancellationToken ct)
    {
        if (await ApplyEnqueue.TryAsync(queue, approved.Id, path, telemetry, ct) is not { } failure)
        {
            return true;
        }
        LogApplyNotQueued(logger, failure, approved.Id, approved.AccountId, approved.GroupId);
        return false;
    }

    /// <summary>The clicker's reply when an approval is recorded but its apply could not be queued.</summary>
    internal static string ApprovedNotApplied(IReadOnlyCollection<string> requestIds) =>
        $":warning: Approved {string.Join(", ", requestIds)}, but not yet applied: SgBridge could not queue the change. "
        + $"SgBridge queues it again within {ApplyCatchUpService.WorstDelay.TotalMinutes:0} minutes (it is applied once); nothing else to do.";

    [LoggerMessage(313, LogLevel.Error, "Request {RequestId} ({AccountId}, {GroupId}) is approved but its apply could not be queued; the catch-up timer queues it")]
    private static partial void LogApplyNotQueued(ILogger logger, Exception exception, string requestId, string accountId, string? groupId);
}
