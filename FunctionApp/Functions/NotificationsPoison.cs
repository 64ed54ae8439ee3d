using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reads the poison queue of the notifications queue (a Slack update that kept failing), so that the failure is seen.</summary>
public sealed class NotificationsPoison(PoisonService poison)
{
    [Function(nameof(NotificationsPoison))]
    public Task RunAsync(
        [QueueTrigger(PoisonQueueNames.Notifications, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        poison.HandleAsync(QueueNames.Notifications, message.MessageId, message.MessageText, message.DequeueCount, cancellationToken);
}
