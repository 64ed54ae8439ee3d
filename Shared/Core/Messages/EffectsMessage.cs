using System.Text.Json.Serialization;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>A message on the effects queue: <see cref="NudgeEffects"/> (or <see cref="NudgeMany"/>), <see cref="RedriveEffects"/>, <see cref="RenderBatch"/> or <see cref="PublishHome"/> (JSON names the kind).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(NudgeEffects), "perform")]
[JsonDerivedType(typeof(NudgeMany), "perform-many")]
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
/// The nudge a transition sends after its write: perform effects <paramref name="EffectIds"/> of
/// <paramref name="RequestId"/> still pending (losing it only delays them: the catch-up re-drives). A first write's
/// nudge carries the row as written (<paramref name="Written"/>) so the worker's first try need not read it back; the
/// row's ETag still guards the clear, and a retry always reads the row.
/// </summary>
public sealed record NudgeEffects(string RequestId, IReadOnlyList<long> EffectIds, Stored<ChangeRequest>? Written = null) : EffectsMessage;

/// <summary>The nudges of transitions written while the previous nudge was being sent (<see cref="NudgeSender"/>): each is
/// performed as if it came alone.</summary>
public sealed record NudgeMany(IReadOnlyList<NudgeEffects> Nudges) : EffectsMessage;

/// <summary>The catch-up's nudge: perform every effect of <paramref name="RequestId"/> raised at or before <paramref
/// name="DueBy"/>.</summary>
public sealed record RedriveEffects(string RequestId, DateTimeOffset DueBy) : EffectsMessage;

/// <summary>A debounced render of the batch led by <paramref name="LeadId"/>, due at <paramref name="DueAt"/> (superseded when the
/// batch's schedule differs).</summary>
public sealed record RenderBatch(string Home, string LeadId, DateTimeOffset DueAt) : EffectsMessage;

/// <summary>A user opened the app's Home tab (Slack's <c>app_home_opened</c>): publish it; a duplicate publishes the same tab
/// again.</summary>
public sealed record PublishHome(string SlackUserId) : EffectsMessage;
