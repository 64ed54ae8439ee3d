using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SgBridge.Shared.Telemetry;

/// <summary>The bridge's own <see cref="ActivitySource"/> and <see cref="Meter"/>, both named <see cref="Name"/>; every visible failure
/// path counts here.</summary>
public sealed class BridgeTelemetry : IDisposable
{
    public const string Name = "SgBridge";

    /// <summary>The meter from the host's <paramref name="meterFactory"/> (AddSgBridge passes the host's).</summary>
    public BridgeTelemetry(IMeterFactory meterFactory)
        : this((meterFactory ?? throw new ArgumentNullException(nameof(meterFactory))).Create(Name))
    {
    }

    /// <summary>A meter of its own, for a process without a meter factory (the CLI, the tests).</summary>
    public BridgeTelemetry()
        : this(new Meter(Name))
    {
    }

    private BridgeTelemetry(Meter meter)
    {
        Meter = meter;
        Events = Meter.CreateCounter<long>("sgbridge.events", description: "Events received by the intake, by outcome (accepted, refused reason, not policed).");
        Reconciles = Meter.CreateCounter<long>("sgbridge.reconciles", description: "Group reconciles, by trigger and outcome.");
        Requests = Meter.CreateCounter<long>("sgbridge.requests", description: "Request state changes, by status.");
        Drift = Meter.CreateCounter<long>("sgbridge.drift", description: "Differences from the approved state no event explained.");
        Failures = Meter.CreateCounter<long>("sgbridge.failures", description: "Failures by kind (revert, apply, storage, poison, sts).");
        StsCalls = Meter.CreateCounter<long>("sgbridge.sts.calls", description: "STS AssumeRole* calls, by account.");
        Heartbeats = Meter.CreateCounter<long>("sgbridge.heartbeats", description: "Heartbeat events received through the EventBridge delivery path (the silence alert reads it).");
        RevertLatency = Meter.CreateHistogram<double>("sgbridge.revert.latency", unit: "s", description: "CloudTrail event time to reverted.");
    }

    public static readonly ActivitySource Source = new(Name);

    public Meter Meter { get; }
    public Counter<long> Events { get; }
    public Counter<long> Reconciles { get; }
    public Counter<long> Requests { get; }
    public Counter<long> Drift { get; }
    public Counter<long> Failures { get; }
    public Counter<long> StsCalls { get; }
    public Counter<long> Heartbeats { get; }
    public Histogram<double> RevertLatency { get; }

    public void Dispose() => Meter.Dispose();
}
