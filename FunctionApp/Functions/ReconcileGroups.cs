using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Reconcile work: a sweep or onboarding of one account and region, or a settle check of one group.</summary>
public sealed class ReconcileGroups(SweepService sweeps)
{
    [Function(nameof(ReconcileGroups))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Reconcile, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<ReconcileCommand>(message, QueueNames.Reconcile, nameof(ReconcileGroups), sweeps.HandleAsync, cancellationToken);
}
