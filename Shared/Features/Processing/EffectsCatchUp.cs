using Microsoft.Extensions.Logging;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Processing;

/// <summary>
/// The effects catch-up (the <c>CatchUpEffects</c> timer): re-drives requests whose effects waited longer than
/// <see cref="StuckAfter"/> (a lost nudge, or its tries ran out). Reads only the effects index, moves each entry's due
/// time <see cref="Backoff"/> ahead with a conditional write (two runs do not both re-drive it) and queues a
/// <see cref="RedriveEffects"/>. So an outage delays an effect; it never loses it.
/// </summary>
public sealed partial class EffectsCatchUp(IEffectsIndex requests, IQueueSender queue, TimeProvider time, BridgeTelemetry telemetry, ILogger<EffectsCatchUp> logger)
{
    /// <summary>How often the timer runs (its schedule says the same).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>How long an effect may wait before the catch-up re-drives it: well past a nudge's pickup.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(1);

    /// <summary>How long after a re-drive the catch-up looks at the request again: past a nudge's tries (host.json: 5 × 10 s).</summary>
    public static readonly TimeSpan Backoff = TimeSpan.FromMinutes(2);

    /// <summary>The longest a lost nudge delays its effects: stuck, plus one tick.</summary>
    public static TimeSpan WorstDelay => StuckAfter + Interval;

    /// <summary>At most this many requests are re-driven per tick (the next tick takes the rest).</summary>
    public const int MaxPerTick = 500;

    /// <summary>Re-drives every request whose effects are overdue; returns how many were queued.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var dueBy = now - StuckAfter;
        var overdue = await requests.ListEffectsDueAsync(dueBy, MaxPerTick, cancellationToken).ToListAsync(cancellationToken);
        var queued = 0;
        foreach (var entry in overdue)
        {
            try
            {
                if (!await requests.PostponeEffectsAsync(entry, now + Backoff, cancellationToken))
                {
                    continue; // written meanwhile: its own nudge is on its way
                }
                await EffectsMessage.SendAsync(queue, new RedriveEffects(entry.RequestId, dueBy), TimeSpan.Zero, cancellationToken);
                queued++;
                LogRedriven(logger, entry.RequestId, entry.DueSince);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One request's failure must not hold up the others; the next tick (after the backoff) tries again.
                telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "effects_catch_up"));
                LogNotRedriven(logger, ex, entry.RequestId);
            }
        }
        return queued;
    }

    [LoggerMessage(1421, LogLevel.Warning, "Effects of request {RequestId} pending since {DueSince} were re-driven by the catch-up")]
    private static partial void LogRedriven(ILogger logger, string requestId, DateTimeOffset dueSince);

    [LoggerMessage(1422, LogLevel.Error, "Effects of request {RequestId} could not be re-driven; the next tick tries again")]
    private static partial void LogNotRedriven(ILogger logger, Exception exception, string requestId);
}
