using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>
/// Revokes this process made in AWS without storage (Table Storage down) whose record could not be carried forward
/// either (the queue down too). Without it, EventBridge's retry of the event (the intake answered 503) finds nothing
/// left to undo and records the request Unmatched — a change the bridge itself reverted would look like a forged or
/// stale event, and approvers would never be asked.
/// <para>
/// What is held is evidence, not a claim: the <see cref="FallbackRevoke"/> names only the rule ids this process revoked
/// after it saw them in the live group with the access the event claimed. Two ways bring it to the record:
/// <list type="bullet">
/// <item>a later run of the same event in this process (<see cref="Attach"/>: the retry records Reverted, and
/// approvers are asked);</item>
/// <item>the carried change, re-sent to the queue with backoff until the queue takes it (<see cref="Hold"/>): when it
/// runs, the request is recorded Reverted — over an Unmatched written meanwhile by a run elsewhere, since a run that
/// changed AWS holds the true outcome.</item>
/// </list>
/// A forged event cannot use this: an event from the intake never carries a <see cref="SecurityGroupChange.Fallback"/>
/// (the intake builds changes from the CloudTrail record alone), and an entry is made only by this process's own
/// revoke. Held in memory: a process that stops before the queue answers loses the entry, and the record stays
/// Unmatched with the revoke logged Critical (the safe direction — access removed — is never lost).
/// </para>
/// </summary>
public sealed partial class UnrecordedRevokes(TimeProvider time, ILogger<UnrecordedRevokes> logger)
{
    /// <summary>How long an entry is re-sent for: EventBridge retries an event for 24 hours.</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, SecurityGroupChange> _held = new(StringComparer.Ordinal);

    public int Count => _held.Count;

    /// <summary>
    /// Holds <paramref name="carried"/> (a change with its <see cref="SecurityGroupChange.Fallback"/>) and re-sends it
    /// with <paramref name="send"/> in the background, backing off from 1 s to 1 min, until it lands or <see cref="HoldFor"/> passes.
    /// </summary>
    public void Hold(SecurityGroupChange carried, Func<SecurityGroupChange, CancellationToken, Task> send)
    {
        ArgumentNullException.ThrowIfNull(carried);
        ArgumentNullException.ThrowIfNull(send);
        if (carried.Fallback is null || !_held.TryAdd(carried.EventId, carried))
        {
            return;
        }
        LogHeld(logger, carried.EventId, carried.AccountId, carried.GroupLabel);
        _ = Task.Run(() => ResendAsync(carried, send));
    }

    /// <summary>The change with this process's unrecorded revoke of it attached, if there is one; else the change as it is.</summary>
    public SecurityGroupChange Attach(SecurityGroupChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Fallback is null && _held.TryGetValue(change.EventId, out var carried) && carried.AccountId == change.AccountId
            ? change with { Fallback = carried.Fallback, GroupId = change.GroupId ?? carried.GroupId }
            : change;
    }

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
