using System.Text.Json.Serialization;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

// The effects queue's messages (QueueNames.Effects): one record per kind, each with one handler
// (EffectsWorker.HandleAsync routes by type). The changes queue carries SecurityGroupChange (Domain) and the reconcile
// queue a ReconcileMessage (ReconcileMessage.cs).

/// <summary>A message on the effects queue: <see cref="NudgeEffects"/>, <see cref="RedriveEffects"/>, <see cref="RenderBatch"/> or <see cref="PublishHome"/> (JSON names the kind).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(NudgeEffects), "perform")]
[JsonDerivedType(typeof(RedriveEffects), "catch-up")]
[JsonDerivedType(typeof(RenderBatch), "render")]
[JsonDerivedType(typeof(PublishHome), "home")]
public abstract record EffectsMessage
{
    /// <summary>Sends <paramref name="message"/> to the effects queue (as the base type, so its kind is written).</summary>
    public static Task SendAsync(IQueueSender queue, EffectsMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.SendAsync(QueueNames.Effects, message, delay, cancellationToken);
    }
}

/// <summary>
/// The nudge a transition sends after its write: perform effects <paramref name="EffectIds"/> of request
/// <paramref name="RequestId"/> (those still pending). Losing it only delays the effects: they are on the row, and the
/// catch-up re-drives them.
/// <para>
/// The nudge of a request's first write (<see cref="RequestLifecycle.OpenAsync"/>) also carries the request as
/// written and the ETag the write returned (<paramref name="Written"/>), so the effects worker's first try starts from it
/// without reading the row back: the row's own ETag still guards the clear (a row written meanwhile is re-read then),
/// and a retry (dequeue count above 1) always reads the row.
/// </para>
/// </summary>
public sealed record NudgeEffects(string RequestId, IReadOnlyList<long> EffectIds, Stored<ChangeRequest>? Written = null) : EffectsMessage;

/// <summary>
/// The catch-up's nudge: perform every effect of <paramref name="RequestId"/> raised at or before <paramref name="DueBy"/>
/// (its own nudge was lost, or its tries ran out).
/// </summary>
public sealed record RedriveEffects(string RequestId, DateTimeOffset DueBy) : EffectsMessage;

/// <summary>
/// A debounced render of the batch led by <paramref name="LeadId"/> in home partition <paramref name="Home"/>, due at
/// <paramref name="DueAt"/> (superseded when the batch's schedule says otherwise).
/// </summary>
public sealed record RenderBatch(string Home, string LeadId, DateTimeOffset DueAt) : EffectsMessage;

/// <summary>
/// <paramref name="SlackUserId"/> opened the app's Home tab (Slack's <c>app_home_opened</c>, queued by the events
/// endpoint): publish it. A duplicate (Slack retried the event) publishes the same tab again, which is harmless.
/// </summary>
public sealed record PublishHome(string SlackUserId) : EffectsMessage;
