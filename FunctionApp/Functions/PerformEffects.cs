using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>
/// Performs what follows a request's transitions (apply, Slack messages, notices) and the debounced batch renders.
/// Exceptions escape so the host retries, then poisons; the effects stay on the row for the catch-up.
/// </summary>
public sealed class PerformEffects(EffectsWorker worker)
{
    [Function(nameof(PerformEffects))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Effects, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<EffectsMessage>(message, QueueNames.Effects, nameof(PerformEffects),
            (effects, ct) => worker.HandleAsync(effects, message.DequeueCount, ct), cancellationToken);
}
