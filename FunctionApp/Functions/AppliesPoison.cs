using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reads the poison queue of the applies queue (an apply the worker gave up on), so that the failure is seen.</summary>
public sealed class AppliesPoison(PoisonService poison)
{
    [Function(nameof(AppliesPoison))]
    public Task RunAsync(
        [QueueTrigger(PoisonQueueNames.Applies, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        poison.HandleAsync(QueueNames.Applies, message.MessageId, message.MessageText, message.DequeueCount, cancellationToken);
}
