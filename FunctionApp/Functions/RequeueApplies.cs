using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Approvals;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Every 5 minutes: an approved request whose apply never reached the queue gets it queued again (idempotent).</summary>
public sealed class RequeueApplies(ApplyCatchUpService catchUp)
{
    [Function(nameof(RequeueApplies))]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        catchUp.RequeueStuckAsync(cancellationToken);
}
