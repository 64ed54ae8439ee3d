using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>
/// Revokes this process made in AWS without storage whose record could not be queued either (else EventBridge's retry
/// finds nothing to undo and records Unmatched: approvers never asked). The held <see cref="FallbackRevoke"/> reaches the
/// record through a later run of the event (<see cref="Attach"/>) or the change re-sent until the queue takes it
/// (<see cref="Hold"/>). A forged event cannot use this: the intake never sets <see cref="SecurityGroupChange.Fallback"/>.
/// Held in memory: a process that stops first leaves Unmatched, the revoke logged Critical (access stays removed).
/// </summary>
public sealed partial class UnrecordedRevokes(TimeProvider time, ILogger<UnrecordedRevokes> logger)
{
    /// <summary>How long an entry is re-sent for: EventBridge retries an event for 24 hours.</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, SecurityGroupChange> _held = new(StringComparer.Ordinal);

    public int Count => _held.Count;

    /// <summary>Holds <paramref name="carried"/> and re-sends it in the background (1 s to 1 min backoff) until it lands or <see
    /// cref="HoldFor"/> passes.</summary>
    public void Hold(SecurityGroupChange carried, Func<SecurityGroupChange, CancellationToken, Task> send)
    {
        if (carried.Fallback is null || !_held.TryAdd(carried.EventId, carried))
        {
            return;
        }
        LogHeld(logger, carried.EventId, carried.AccountId, carried.GroupLabel);
        _ = Task.Run(() => ResendAsync(carried, send));
    }

    /// <summary>The change with this process's unrecorded revoke of it attached, if there is one; else the change as it is.</summary>
    public SecurityGroupChange Attach(SecurityGroupChange change) =>
        change.Fallback is null && _held.TryGetValue(change.EventId, out var carried) && carried.AccountId == change.AccountId
            ? change with { Fallback = carried.Fallback, GroupId = change.GroupId ?? carried.GroupId }
            : change;

    private async Task ResendAsync(SecurityGroupChange carried, Func<SecurityGroupChange, CancellationToken, Task> send)
    {
        var until = time.GetUtcNow() + HoldFor;
        var pause = TimeSpan.FromSeconds(1);
        while (true)
        {
            await Task.Delay(pause, time).ConfigureAwait(false);
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
                await send(carried, bound.Token).ConfigureAwait(false);
                _held.TryRemove(carried.EventId, out _);
                LogCarried(logger, carried.EventId);
                return;
            }
            catch (Exception ex)
            {
                if (time.GetUtcNow() >= until)
                {
                    _held.TryRemove(carried.EventId, out _);
                    LogGaveUp(logger, ex, carried.EventId, carried.AccountId, carried.GroupLabel);
                    return;
                }
            }
            pause = TimeSpan.FromSeconds(Math.Min(pause.TotalSeconds * 2, 60));
        }
    }

    [LoggerMessage(1201, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: revoked without storage and not yet recorded; held, and re-sent until the queue takes it")]
    private static partial void LogHeld(ILogger logger, string eventId, string accountId, string groupId);

    [LoggerMessage(1202, LogLevel.Information, "Event {EventId}: the held revoke reached the queue; its request is recorded when it runs")]
    private static partial void LogCarried(ILogger logger, string eventId);

    [LoggerMessage(1203, LogLevel.Critical, "Event {EventId} in {AccountId} on {GroupId}: the revoke made without storage could not be carried to the queue for 24 hours; its request may read Unmatched (the revoke stands)")]
    private static partial void LogGaveUp(ILogger logger, Exception exception, string eventId, string accountId, string groupId);
}
