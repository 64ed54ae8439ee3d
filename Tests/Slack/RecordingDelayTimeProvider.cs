using System.Collections.Concurrent;

namespace SgBridge.Tests.Slack;

/// <summary>
/// Records every delay the code under test asks for (Task.Delay(TimeSpan, TimeProvider) creates one timer per delay)
/// and then fires it at once, so retry tests are fast and assert the requested wait rather than wall-clock time.
/// </summary>
internal sealed class RecordingDelayTimeProvider(DateTimeOffset now) : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyList<TimeSpan> Delays => _delays.ToArray();

    public override DateTimeOffset GetUtcNow() => now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        return System.CreateTimer(callback, state, TimeSpan.FromMilliseconds(1), period);
    }
}
