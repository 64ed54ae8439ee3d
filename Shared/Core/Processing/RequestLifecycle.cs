using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Processing;

/// <summary>
/// The only writer of request rows. A transition records its effects on the row in the same conditional write; then
/// one nudge (<see cref="NudgeEffects"/>; a burst's go together, <see cref="NudgeSender"/>) names them. The nudge is best effort within <see cref="NudgeBudget"/>: a
/// failure is counted and logged, never thrown, since the effects are durable and the catch-up re-drives them.
/// </summary>
public sealed partial class RequestLifecycle(IRequestStore requests, IQueueSender queue, BridgeTelemetry telemetry, ILogger<RequestLifecycle> logger)
{
    /// <summary>How long a nudge may take: callers answer people (Slack's 3 s) and EventBridge (5 s).</summary>
    public static readonly TimeSpan NudgeBudget = TimeSpan.FromSeconds(1);

    /// <summary>The <c>kind</c> tag of <c>sgbridge.failures</c> for a nudge that could not be sent (the catch-up performs its effects).</summary>
    public const string NudgeFailureKind = "effects_nudge";

    private readonly NudgeSender _nudges = new(queue);

    /// <summary>Stores a new request, or returns the one already stored under its id (nothing is overwritten).</summary>
    public async Task<(Stored<ChangeRequest> Request, bool Created)> OpenAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var raised = request.RaisedEffects.ToArray();
        var (stored, created) = await requests.AddOrGetAsync(request, cancellationToken).ConfigureAwait(false);
        if (created)
        {
            stored.Value.AcceptWritten();
            if (stored.Value.Status != RequestStatus.Reverting)
            {
                Count(stored.Value.Status);
            }
            await NudgeAsync(stored.Value.Id, raised, stored, cancellationToken).ConfigureAwait(false);
        }
        return (stored, created);
    }

    /// <summary>The stored request with that id, if any (a point read).</summary>
    public Task<Stored<ChangeRequest>?> FindAsync(string requestId, CancellationToken cancellationToken) => requests.GetAsync(requestId, cancellationToken);

    /// <summary>Applies <paramref name="change"/> (false: nothing to write) and nudges the effects it raised. Null: no such request.</summary>
    public async Task<RequestUpdate?> ChangeAsync(string requestId, Func<ChangeRequest, bool> change, CancellationToken cancellationToken) =>
        await AfterAsync(await requests.UpdateAsync(requestId, change, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>As <see cref="ChangeAsync(string, Func{ChangeRequest, bool}, CancellationToken)"/>, from a copy already read.</summary>
    public async Task<RequestUpdate> ChangeAsync(Stored<ChangeRequest> stored, Func<ChangeRequest, bool> change, CancellationToken cancellationToken) =>
        (await AfterAsync(await requests.UpdateAsync(stored, change, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false))!;

    /// <summary>Counts a written status change and nudges the effects the write raised; returns <paramref name="update"/>.</summary>
    private async Task<RequestUpdate?> AfterAsync(RequestUpdate? update, CancellationToken cancellationToken)
    {
        if (update is { Written: true })
        {
            if (update.StatusChanged)
            {
                Count(update.Request.Status);
            }
            await NudgeAsync(update.Request.Id, update.RaisedEffects, written: null, cancellationToken).ConfigureAwait(false);
        }
        return update;
    }

    /// <summary>Sends the nudge (with those of concurrent transitions: <see cref="NudgeSender"/>), carrying a first write's row so
    /// the worker need not read it back (unless too large for one message).</summary>
    private async Task NudgeAsync(string requestId, IReadOnlyList<long> effectIds, Stored<ChangeRequest>? written, CancellationToken cancellationToken)
    {
        if (effectIds.Count == 0)
        {
            return;
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(NudgeBudget);
        try
        {
            // The wait is bounded by the budget even when the send is not (a sender that ignores its token).
            await _nudges.SendAsync(new NudgeEffects(requestId, effectIds, written), limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Never thrown, not even when the caller's own deadline ends it: the write is done and its effects are
            // durable, so a caller that answers a person (a click) must be able to say so.
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, NudgeFailureKind));
            LogNudgeFailed(logger, ex, requestId, effectIds.Count);
        }
    }

    private void Count(RequestStatus status)
    {
        telemetry.Requests.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
        if (status is RequestStatus.RevertFailed or RequestStatus.ApplyFailed)
        {
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", status == RequestStatus.RevertFailed ? "revert" : "apply"));
        }
    }

    [LoggerMessage(1401, LogLevel.Warning, "Request {RequestId}: the nudge for {Count} effect(s) could not be sent; the effects catch-up performs them")]
    private static partial void LogNudgeFailed(ILogger logger, Exception exception, string requestId, int count);
}
