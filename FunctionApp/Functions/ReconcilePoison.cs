using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reads the poison queue of the reconcile queue (a sweep, onboarding or settle check that kept failing), so that the failure is seen.</summary>
public sealed class ReconcilePoison(PoisonService poison)
{
    [Function(nameof(ReconcilePoison))]
    public Task RunAsync(
        [QueueTrigger(PoisonQueueNames.Reconcile, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        poison.HandleAsync(QueueNames.Reconcile, message.MessageId, message.MessageText, message.DequeueCount, cancellationToken);
}
