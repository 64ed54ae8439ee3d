using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Processing;

namespace SgBridge.FunctionApp.Functions;

/// <summary>Every minute: requests whose effects waited too long (a lost nudge, an outage) get them re-driven.</summary>
public sealed class CatchUpEffects(EffectsCatchUp catchUp)
{
    [Function(nameof(CatchUpEffects))]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        catchUp.RunAsync(cancellationToken);
}
