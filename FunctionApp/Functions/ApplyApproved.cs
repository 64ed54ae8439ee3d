using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Carries out an approved request in AWS. Exceptions escape so the host retries, then poisons.</summary>
public sealed class ApplyApproved(ApplyService applier)
{
    [Function(nameof(ApplyApproved))]
    public Task RunAsync(
        [QueueTrigger(QueueNames.Applies, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken) =>
        QueueTrace.RunAsync<ApplyCommand>(message, QueueNames.Applies, nameof(ApplyApproved),
            (command, ct) => applier.ApplyAsync(command, message.DequeueCount, ct), cancellationToken);
}
