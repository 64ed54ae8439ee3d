using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Approvals;

namespace SgBridge.FunctionApp.Functions;

/// <summary>
/// Every minute: time-bound access that ran out (or was revoked early) leaves the approved state and is revoked in AWS.
/// Exact to this interval; a missed tick is caught up by the next (the index holds every overdue row).
/// </summary>
public sealed class ExpireAccess(AccessExpiryService expiry)
{
    [Function(nameof(ExpireAccess))]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        expiry.ExpireDueAsync(cancellationToken);
}
