using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Fakes;

/// <summary>The effects side from the same graph: the worker with every performer, its catch-up, and a host-like drain of the effects queue.</summary>
public sealed partial class Bridge
{
    public BlastRadiusOptions BlastRadius { get; } = new();

    public RoutingService Routing() => Get<RoutingService>();

    public NotificationService Notifications() => Get<NotificationService>();

    /// <summary>The Home tab over the same fakes (its viewer list in <see cref="Threads"/>, its tabs in <see cref="Slack"/>).</summary>
    public HomeTabService Home() => Get<HomeTabService>();

    public RevertReasonService Reasons() => Get<RevertReasonService>();

    /// <summary>The effects worker as the host builds it: one performer per effect kind.</summary>
    public EffectsWorker Effects() => Get<EffectsWorker>();

    public EffectsCatchUp CatchUp() => Get<EffectsCatchUp>();

    private int _effectsHandled;

    /// <summary>
    /// The host on the effects queue: handles every effects message sent so far (and those they send), in order, each
    /// once; a handler that throws is counted as a failed try and the message is dropped (as after its last try).
    /// Debounced renders (delayed messages) are left alone. Returns (handled, failed).
    /// </summary>
    public async Task<(int Handled, int Failed)> DrainEffectsAsync()
    {
        int handled = 0, failed = 0;
        while (true)
        {
            var pending = Queue.Sent.Where(s => s.Queue == QueueNames.Effects).Skip(_effectsHandled).ToList();
            if (pending.Count == 0)
            {
                return (handled, failed);
            }
            foreach (var (_, json) in pending)
            {
                _effectsHandled++;
                try
                {
                    await Effects().HandleAsync(BridgeJson.Deserialize<EffectsMessage>(json), 1, default);
                    handled++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failed++;
                }
            }
        }
    }
}
