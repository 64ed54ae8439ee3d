using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using NCrontab;

namespace SgBridge.Local;

/// <summary>
/// A [TimerTrigger] on its NCRONTAB schedule (six fields, with seconds, in UTC as the host runs by default), with
/// <c>RunOnStartup</c>. One instance, so the host's singleton lock has nothing to exclude. A tick that throws is logged
/// and the next tick comes on schedule (the host does the same). Not modelled: <c>UseMonitor</c>'s catch-up of a tick
/// missed while the app was stopped (the local host keeps no schedule status between runs).
/// </summary>
internal sealed class TimerScheduler(FunctionDescriptor function, IServiceProvider services, TimeProvider time, ILogger logger, LocalCounters counters)
{
    private readonly CrontabSchedule _schedule = Parse(function);

    public static CrontabSchedule Parse(FunctionDescriptor function) =>
        CrontabSchedule.TryParse(function.Schedule ?? "", new CrontabSchedule.ParseOptions { IncludingSeconds = true })
        ?? throw new InvalidOperationException($"Function {function.Name}: '{function.Schedule}' is not a six-field NCRONTAB schedule (the local host does not read TimeSpan schedules).");

    /// <summary>The next tick strictly after <paramref name="after"/> (UTC).</summary>
    public DateTime NextAfter(DateTime after) => _schedule.GetNextOccurrence(after);

    public async Task RunAsync(CancellationToken stop)
    {
        DateTime? last = null;
        if (function.RunOnStartup)
        {
            await TickAsync(last, stop).ConfigureAwait(false);
            last = time.GetUtcNow().UtcDateTime;
        }
        while (!stop.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = NextAfter(now);
            try
            {
                await Task.Delay(next - now, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await TickAsync(last, stop).ConfigureAwait(false);
            last = next;
        }
    }

    private async Task TickAsync(DateTime? last, CancellationToken stop)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var info = new TimerInfo
        {
            IsPastDue = false,
            ScheduleStatus = new ScheduleStatus { Last = last ?? DateTime.MinValue, Next = NextAfter(now), LastUpdated = now },
        };
        try
        {
            await function.InvokeAsync(services, null, null, info, stop).ConfigureAwait(false);
            counters.Handled(function.Name);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            counters.Failed(function.Name);
            LocalLog.TimerFailed(logger, ex, function.Name);
        }
    }
}
