using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reverts one queued change and opens its request. Exceptions escape so the host retries, then poisons; a busy group is sent again for later (not a failure).</summary>
public sealed class RevertChange(ChangeProcessor processor)
{
    [Function(nameof(RevertChange))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Changes, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<SecurityGroupChange>(message, QueueNames.Changes, nameof(RevertChange),
            (change, ct) => processor.ProcessQueuedAsync(change, message.DequeueCount, ct), cancellationToken);
}
