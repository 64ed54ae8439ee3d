using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Reconcile;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Every minute: at each Reconcile:Interval boundary, one sweep per allowed account and region is queued.</summary>
public sealed class SweepForDrift(SweepService sweeps)
{
    [Function(nameof(SweepForDrift))]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeps.TickAsync(cancellationToken);
}
