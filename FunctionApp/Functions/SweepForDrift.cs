using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Reconcile;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Every minute: at each Reconcile:Interval boundary, one sweep per account (allowed, or known with '*') and region is queued.</summary>
public sealed class SweepForDrift(SweepScheduler sweeps)
{
    [Function(nameof(SweepForDrift))]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeps.TickAsync(cancellationToken);
}
