using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Tests.Faults;

/// <summary>Listens to one <see cref="BridgeTelemetry"/> meter's <c>sgbridge.failures</c> counter and keeps the tags of each increment.</summary>
public sealed class FailureCounter : IDisposable
{
    private readonly MeterListener _listener = new();

    public FailureCounter(BridgeTelemetry telemetry)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, telemetry.Meter) && instrument.Name == "sgbridge.failures")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var d = new Dictionary<string, string?>();
            foreach (var t in tags)
            {
                d[t.Key] = t.Value?.ToString();
            }
            for (var i = 0; i < value; i++)
            {
                Seen.Enqueue(d);
            }
        });
        _listener.Start();
    }

    public ConcurrentQueue<IReadOnlyDictionary<string, string?>> Seen { get; } = new();

    public int Count(string kind, string? queue = null) =>
        Seen.Count(t => t.GetValueOrDefault("kind") == kind && (queue is null || t.GetValueOrDefault("queue") == queue));

    public void Dispose() => _listener.Dispose();
}
