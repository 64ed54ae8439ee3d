using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reconcile work: a sweep or onboarding of one account and region, or a settle check of one group (a missing member role is a recorded skip, not a failure).</summary>
public sealed class ReconcileGroups(ReconcileWorker worker)
{
    [Function(nameof(ReconcileGroups))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Reconcile, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<ReconcileMessage>(message, QueueNames.Reconcile, nameof(ReconcileGroups), worker.HandleAsync, cancellationToken);
}
