using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Approvals;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Every 15 minutes: requests undecided for longer than Processing:PendingExpiry expire (they stay reverted).</summary>
public sealed class ExpireStaleRequests(ExpiryService expiry)
{
    [Function(nameof(ExpireStaleRequests))]
    public Task RunAsync([TimerTrigger("0 */15 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        expiry.ExpireStaleAsync(cancellationToken);
}
