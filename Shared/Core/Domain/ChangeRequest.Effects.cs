using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>
/// Work that follows a transition, recorded on the request in the transition's conditional write and cleared by the
/// effects worker once done: clearing it is "told once". A new kind needs one <c>IEffectPerformer</c> (docs/operations.md).
/// </summary>
public enum EffectKind
{
    /// <summary>Bring the request's Slack messages (approvers', monitoring) in line with its state.</summary>
    Render,
    /// <summary>Carry out the approval in AWS (through the approved state).</summary>
    Apply,
    /// <summary>DM the requester of a reverted change to ask why.</summary>
    AskReason,
    /// <summary>Tell the monitoring channel(s) loudly that a break-glass user approved their own change.</summary>
    BreakGlassNotice,
    /// <summary>DM the requester that time-bound access was granted (with "Ask to extend").</summary>
    AccessGranted,
    /// <summary>Tell the request's monitoring thread that its access ended.</summary>
    AccessEndedNotice,
    /// <summary>DM the requester that their access ended.</summary>
    AccessEndedDm,
    /// <summary>An approver revoked access early: end it in AWS now (the expiry tick does it otherwise within a minute).</summary>
    EndAccessNow,
    /// <summary>DM the requester of a request asked for in Slack (the /sgbridge form) its decision: approved, denied or expired.</summary>
    DecisionDm,
    /// <summary>Publish again the Slack Home tabs (approvers' and requester's) that show the request, if opened recently.</summary>
    RefreshHome,
}

/// <summary>One pending effect: its number on the request, its kind, when it was raised and (break-glass) by whom.</summary>
public sealed record PendingEffect(long Id, EffectKind Kind, DateTimeOffset At, string? By = null);

/// <summary>What a write of the request does to its "effects due" index row (kept with the row, in the same transaction).</summary>
public enum EffectsIndexChange
{
    None,
    /// <summary>The first pending effect: the index row is written.</summary>
    Write,
    /// <summary>The last pending effect was cleared: the index row goes.</summary>
    Delete,
}

public sealed partial class ChangeRequest : IJsonOnDeserialized
{
    /// <summary>Effects raised by transitions and not yet done, oldest first.</summary>
    [JsonInclude] public IReadOnlyList<PendingEffect> Effects { get; private set; } = [];

    /// <summary>The number of the last effect raised (effect ids never repeat on a request).</summary>
    [JsonInclude] public long LastEffectId { get; private set; }

    /// <summary>When the oldest pending effect was raised (null: none pending): the due time of the row's index entry.</summary>
    [JsonInclude] public DateTimeOffset? EffectsDueSince { get; private set; }

    private RequestIndexEntries _indexAsStored = RequestIndexEntries.None;
    private List<long> _raised = [];

    /// <summary>What writing this copy does to the "effects due" index row: a first pending effect writes it, the last cleared deletes
    /// it.</summary>
    [JsonIgnore]
    public EffectsIndexChange IndexChange => (_indexAsStored.EffectsDueSince, EffectsDueSince) switch
    {
        (null, null) => EffectsIndexChange.None,
        (_, null) => EffectsIndexChange.Delete,
        var (a, b) when a == b => EffectsIndexChange.None,
        _ => EffectsIndexChange.Write,
    };

    /// <summary>The effects raised since this copy was read or written (not stored): what the write's nudge names.</summary>
    [JsonIgnore] public IReadOnlyList<long> RaisedEffects => _raised;

    void IJsonOnDeserialized.OnDeserialized() => _indexAsStored = IndexEntries;

    /// <summary>Marks this copy as stored as it is (after its write): nothing raised since, the index rows as they now are.</summary>
    public void AcceptWritten()
    {
        _raised = [];
        _indexAsStored = IndexEntries;
    }

    /// <summary>Clears the effects done (<paramref name="ids"/>), skipping those no longer pending; false: nothing to clear.</summary>
    public bool ClearEffects(IReadOnlyCollection<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var left = Effects.Where(e => !ids.Contains(e.Id)).ToArray();
        if (left.Length == Effects.Count)
        {
            return false;
        }
        Effects = left;
        EffectsDueSince = left.Length == 0 ? null : left.Min(e => e.At);
        return true;
    }

    /// <summary>Records an effect of the transition; a new Render or RefreshHome supersedes a pending one of its kind.</summary>
    private void Raise(EffectKind kind, DateTimeOffset now, string? by = null)
    {
        var effects = kind is EffectKind.Render or EffectKind.RefreshHome ? Effects.Where(e => e.Kind != kind).ToList() : Effects.ToList();
        LastEffectId++;
        effects.Add(new PendingEffect(LastEffectId, kind, now, by));
        Effects = effects;
        EffectsDueSince ??= now;
        _raised.Add(LastEffectId);
    }

    /// <summary>The effects of entering <paramref name="status"/>: every state but Reverting is rendered; the states a Home tab lists
    /// refresh it.</summary>
    private void RaiseFor(RequestStatus status, DateTimeOffset now)
    {
        if (status != RequestStatus.Reverting)
        {
            Raise(EffectKind.Render, now);
        }
        if (ShownOnHome(status))
        {
            Raise(EffectKind.RefreshHome, now);
        }
    }

    /// <summary>The states that put a request on a Home tab, or take it off one (every other state never was on one).</summary>
    private static bool ShownOnHome(RequestStatus status) => status is RequestStatus.Pending or RequestStatus.Approved or RequestStatus.Denied
        or RequestStatus.Expired or RequestStatus.Applied or RequestStatus.ApplyFailed or RequestStatus.AccessEnded;
}
