using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reads the poison queue of the effects queue (an effect that kept failing; it stays pending on its request for the catch-up), so that the failure is seen.</summary>
public sealed class EffectsPoison(PoisonService poison)
{
    [Function(nameof(EffectsPoison))]
    public Task RunAsync(
        [QueueTrigger(PoisonQueueNames.Effects, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        poison.HandleAsync(QueueNames.Effects, message.MessageId, message.MessageText, message.DequeueCount, cancellationToken);
}
