using System.Diagnostics;

namespace SgBridge.Bench;

/// <summary>
/// Finds which process stalled: a dedicated thread wakes every 50 ms and notes how late it woke. A wake-up 500 ms or
/// more late is a stall of this process (not scheduled, or paused by its GC). The Azurite launcher does the same in
/// node (Emulators.cs), so a run's 503s can be laid at the door of the process that stopped.
/// </summary>
public sealed class StallWatch
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(500);

    private long _count;
    private long _maxMs;
    private long _totalMs;

    public StallWatch()
    {
        new Thread(Watch) { IsBackground = true, Name = "stall-watch", Priority = ThreadPriority.AboveNormal }.Start();
    }

    public (long Count, long MaxMs, long TotalMs) Read() => (Interlocked.Read(ref _count), Interlocked.Read(ref _maxMs), Interlocked.Read(ref _totalMs));

    public void Reset()
    {
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _maxMs, 0);
        Interlocked.Exchange(ref _totalMs, 0);
    }

    private void Watch()
    {
        while (true)
        {
            var before = Stopwatch.GetTimestamp();
            Thread.Sleep(Tick);
            var late = (long)(Stopwatch.GetElapsedTime(before) - Tick).TotalMilliseconds;
            if (late >= Stall.TotalMilliseconds)
            {
                Interlocked.Increment(ref _count);
                Interlocked.Add(ref _totalMs, late);
                long seen;
                while (late > (seen = Interlocked.Read(ref _maxMs)) && Interlocked.CompareExchange(ref _maxMs, late, seen) != seen)
                {
                }
            }
        }
    }
}
