using System.Collections.Concurrent;
using System.Diagnostics;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Tests.Telemetry;

/// <summary>
/// Collects the activities of the named sources (default: the bridge's own) as they stop, through a real
/// <see cref="ActivityListener"/> that samples everything. Listeners are process-wide, so tests pick their own
/// activities out by trace id.
/// </summary>
public sealed class ActivityCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public ActivityCollector(params string[] sources)
    {
        var names = sources.Length == 0 ? [BridgeTelemetry.Name] : sources;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => names.Contains(source.Name, StringComparer.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped => _stopped.ToList();

    public void Dispose() => _listener.Dispose();
}
