using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Brings the Slack messages of one request up to date. A Slack outage retries here, never in a revert.</summary>
public sealed class NotifySlack(NotificationService notifications)
{
    [Function(nameof(NotifySlack))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Notifications, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<RequestNotification>(message, QueueNames.Notifications, nameof(NotifySlack), notifications.NotifyAsync, cancellationToken);
}
