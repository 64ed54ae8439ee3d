using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reads the poison queue of the changes queue (a revert the worker gave up on), so that the failure is seen.</summary>
public sealed class ChangesPoison(PoisonService poison)
{
    [Function(nameof(ChangesPoison))]
    public Task RunAsync(
        [QueueTrigger(PoisonQueueNames.Changes, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        poison.HandleAsync(QueueNames.Changes, message.MessageId, message.MessageText, message.DequeueCount, cancellationToken);
}
