using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>Performs one kind of effect for a request. Register one per <see cref="EffectKind"/> (DI: <c>IEffectPerformer</c>).</summary>
public interface IEffectPerformer
{
    EffectKind Kind { get; }

    /// <summary>
    /// Does the effect for <paramref name="request"/> (the row as read just before). Idempotent as far as the outside
    /// world allows: it is performed again only if the worker dies before clearing it. Throws to leave it pending (the
    /// queue retries the nudge, then the catch-up re-drives it). <paramref name="attempt"/>: which try this is.
    /// </summary>
    Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken);
}

/// <summary>
/// Which try of an effect this is: the delivery count of the message that carries it, and whether the catch-up
/// re-drove it. <see cref="Again"/>: an earlier try may have run (and done part of the effect).
/// </summary>
public readonly record struct EffectTry(long DequeueCount, bool Redriven = false)
{
    public bool Again => DequeueCount > 1 || Redriven;
}

/// <summary>
/// The one effects worker (the <c>PerformEffects</c> function, on <see cref="QueueNames.Effects"/>): reads the request,
/// performs each pending effect the message names and clears the ones done with one conditional write through
/// <see cref="RequestLifecycle"/>. Clearing is "told once": an effect performed and cleared is never performed again;
/// one that failed stays pending (each effect is tried on its own, then the first failure escapes, so the queue retries;
/// after the last try the catch-up re-drives it). A Slack rate limit, or another render's live claim on a first post,
/// brings the nudge back later without spending a try. The apply is performed last, because it writes the request
/// itself (a new state raising its own effects and nudge), and is never held up by a Slack failure.
/// </summary>
public sealed partial class EffectsWorker(
    RequestLifecycle lifecycle,
    IEnumerable<IEffectPerformer> performers,
    NotificationService notifications,
    HomeTabService home,
    IQueueSender queue,
    ILogger<EffectsWorker> logger)
{
    private readonly Dictionary<EffectKind, IEffectPerformer> _performers = performers.ToDictionary(p => p.Kind);

    /// <summary>Routes a message of the effects queue to its handler (one per message type).</summary>
    public Task HandleAsync(EffectsMessage message, long dequeueCount, CancellationToken cancellationToken) => message switch
    {
        NudgeEffects p => PerformAsync(p, dequeueCount, cancellationToken),
        NudgeMany m => PerformAsync(m, dequeueCount, cancellationToken),
        RedriveEffects c => CatchUpAsync(c, dequeueCount, cancellationToken),
        RenderBatch r => notifications.RenderBatchAsync(r, cancellationToken),
        PublishHome h => home.OpenedAsync(h, cancellationToken),
        _ => throw new ArgumentException($"Unknown effects message {message?.GetType().Name}.", nameof(message)),
    };

    /// <summary>Performs the effects a transition's nudge names (those still pending).</summary>
    public Task PerformAsync(NudgeEffects message, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var ids = message.EffectIds.ToHashSet();
        // The first try of a first write's nudge starts from the request it carries (no read); a retry reads the row.
        var carried = dequeueCount <= 1 && message.Written is { Value.Id: var id } written && id == message.RequestId ? written : null;
        return RunAsync(message.RequestId, e => ids.Contains(e.Id), new EffectTry(dequeueCount), carried, cancellationToken);
    }

    /// <summary>
    /// Performs the nudges of a burst one after the other, each as if it came alone (in order: a batch's first request
    /// posts its messages before the requests that join it are placed, so they wait for one debounced render instead of
    /// each rendering at once). The first failure escapes once all were tried, so the queue retries the message (a retry
    /// reads each row: what was done and cleared is not done again).
    /// </summary>
    public async Task PerformAsync(NudgeMany message, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ExceptionDispatchInfo? failure = null;
        foreach (var nudge in message.Nudges)
        {
            try
            {
                await PerformAsync(nudge, dequeueCount, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure ??= ExceptionDispatchInfo.Capture(ex);
            }
        }
        failure?.Throw();
    }

    /// <summary>Performs every effect of the request raised at or before the catch-up's cut-off.</summary>
    public Task CatchUpAsync(RedriveEffects message, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return RunAsync(message.RequestId, e => e.At <= message.DueBy, new EffectTry(dequeueCount, Redriven: true), carried: null, cancellationToken);
    }

    private async Task RunAsync(string requestId, Func<PendingEffect, bool> selected, EffectTry attempt, Stored<ChangeRequest>? carried, CancellationToken ct)
    {
        var stored = carried ?? await lifecycle.FindAsync(requestId, ct);
        if (stored is null)
        {
            LogMissing(logger, requestId);
            return;
        }
        var request = stored.Value;
        var due = request.Effects.Where(selected).OrderBy(e => e.Kind == EffectKind.Apply ? 1 : 0).ThenBy(e => e.Id).ToList();
        if (due.Count == 0)
        {
            return; // done already (a duplicated or late nudge), or superseded by a later render
        }
        // Each effect on its own: a Slack outage must not hold up the apply (nor one notice another). What was done is
        // cleared in one write; the first failure then escapes so the queue retries the rest.
        var done = new List<long>();
        ExceptionDispatchInfo? failure = null;
        SlackTryLaterException? limited = null;
        foreach (var effect in due)
        {
            try
            {
                if (!_performers.TryGetValue(effect.Kind, out var performer))
                {
                    throw new InvalidOperationException($"No performer is registered for effect {effect.Kind}.");
                }
                await performer.PerformAsync(request, effect, attempt, ct);
                done.Add(effect.Id);
                LogPerformed(logger, requestId, effect.Kind, effect.Id);
            }
            catch (SlackTryLaterException ex)
            {
                limited ??= ex;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogFailed(logger, ex, requestId, effect.Kind, effect.Id);
                failure ??= ExceptionDispatchInfo.Capture(ex);
            }
        }
        await ClearAsync(stored, done, ct);
        if (failure is null && limited is not null)
        {
            // Slack asked us to wait longer than the client waits inline, or another render holds the first post's claim:
            // come back then, without spending a try or counting a failure.
            var left = due.Select(e => e.Id).Except(done).ToArray();
            LogTryLater(logger, requestId, limited.Message, limited.RetryAfter);
            await EffectsMessage.SendAsync(queue, new NudgeEffects(requestId, left), limited.RetryAfter, ct);
            return;
        }
        failure?.Throw();
    }

    private async Task ClearAsync(Stored<ChangeRequest> stored, IReadOnlyCollection<long> done, CancellationToken ct)
    {
        if (done.Count > 0)
        {
            await lifecycle.ChangeAsync(stored, r => r.ClearEffects(done), ct);
        }
    }

    [LoggerMessage(1411, LogLevel.Warning, "Effects: request {RequestId} not found")]
    private static partial void LogMissing(ILogger logger, string requestId);

    [LoggerMessage(1412, LogLevel.Debug, "Effects: request {RequestId}: {Kind} ({EffectId}) done")]
    private static partial void LogPerformed(ILogger logger, string requestId, EffectKind kind, long effectId);

    [LoggerMessage(1413, LogLevel.Warning, "Effects: request {RequestId}: {Reason}; trying again in {RetryAfter}")]
    private static partial void LogTryLater(ILogger logger, string requestId, string reason, TimeSpan retryAfter);

    [LoggerMessage(1414, LogLevel.Warning, "Effects: request {RequestId}: {Kind} ({EffectId}) failed; it stays pending")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId, EffectKind kind, long effectId);
}
