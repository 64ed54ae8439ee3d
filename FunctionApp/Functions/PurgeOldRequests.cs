using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Daily at 03:30 UTC: final requests unchanged for longer than Storage:Retention leave the tables with their Slack rows.</summary>
public sealed class PurgeOldRequests(RequestRetention retention)
{
    [Function(nameof(PurgeOldRequests))]
    public Task RunAsync([TimerTrigger("0 30 3 * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.PurgeAsync(cancellationToken);
}
