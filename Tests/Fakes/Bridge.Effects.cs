using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Slack.Requests;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Fakes;

/// <summary>The effects side over the same fakes: the worker with every performer, its catch-up, and a host-like drain of the effects queue.</summary>
public sealed partial class Bridge
{
    public BlastRadiusOptions BlastRadius { get; } = new();

    public RoutingService Routing() => new(new ApprovalRouter(O.Create(SlackOptions), O.Create(Policy)), Threads, Ec2,
        new BlastRadiusReader(Ec2, O.Create(BlastRadius), Time, NullLogger<BlastRadiusReader>.Instance), Slack, O.Create(BlastRadius), O.Create(Policy), Telemetry,
        NullLogger<RoutingService>.Instance);

    public NotificationService Notifications() => new(Requests, Threads, Queue, Slack, Approvers(), Routing(), O.Create(SlackOptions), O.Create(Policy), Time,
        NullLogger<NotificationService>.Instance, O.Create(Approvals));

    /// <summary>The Home tab over the same fakes (its viewer list in <see cref="Threads"/>, its tabs in <see cref="Slack"/>).</summary>
    public HomeTabService Home() => new(Requests, Threads, Approvers(), new ApprovalRouter(O.Create(SlackOptions), O.Create(Policy)), Routing(), Slack,
        O.Create(Approvals), O.Create(Policy), Time, NullLogger<HomeTabService>.Instance);

    public RevertReasonService Reasons() => new(Slack, new RecordingViews(), Approvers(), Requests, Lifecycle(), Time, NullLogger<RevertReasonService>.Instance, Telemetry);

    /// <summary>The effects worker as the host builds it: one performer per effect kind.</summary>
    public EffectsWorker Effects() => new(Lifecycle(),
        [
            new RenderPerformer(Notifications()),
            new ApplyPerformer(TimeBoundApplier()),
            new AskReasonPerformer(Reasons()),
            new BreakGlassPerformer(Routing()),
            new EndAccessNowPerformer(AccessExpiry()),
            new AccessNoticePerformer(AccessNotifier(), EffectKind.AccessGranted),
            new AccessNoticePerformer(AccessNotifier(), EffectKind.AccessEndedNotice),
            new AccessNoticePerformer(AccessNotifier(), EffectKind.AccessEndedDm),
            new DecisionDmPerformer(Slack),
            new RefreshHomePerformer(Home()),
        ], Notifications(), Home(), Queue, NullLogger<EffectsWorker>.Instance);

    public EffectsCatchUp CatchUp() => new(Requests, Queue, Time, Telemetry, NullLogger<EffectsCatchUp>.Instance);

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
