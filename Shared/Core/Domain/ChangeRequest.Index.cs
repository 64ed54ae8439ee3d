using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>
/// The request's entries in the request store's timer indexes (each null when the request is not in that index), so a
/// timer reads one range of index rows instead of the requests: effects pending since (the effects catch-up), pending
/// since (<see cref="ChangeRequest.CreatedAt"/> while Pending: the stale-request expiry), and final since
/// (<see cref="ChangeRequest.UpdatedAt"/> while final: retention).
/// </summary>
public sealed record RequestIndexEntries(DateTimeOffset? EffectsDueSince, DateTimeOffset? PendingSince, DateTimeOffset? FinalSince)
{
    /// <summary>In no index (a copy never stored).</summary>
    public static readonly RequestIndexEntries None = new(null, null, null);
}

public sealed partial class ChangeRequest
{
    /// <summary>The index entries this copy calls for (not stored: derived from the state).</summary>
    [JsonIgnore]
    public RequestIndexEntries IndexEntries => new(
        EffectsDueSince,
        Status == RequestStatus.Pending ? CreatedAt : null,
        IsFinal ? UpdatedAt : null);

    /// <summary>
    /// The index entries as stored with the copy this one was read as (or last written as): what a write must replace.
    /// <see cref="RequestIndexEntries.None"/> for a copy never stored.
    /// </summary>
    [JsonIgnore]
    public RequestIndexEntries IndexAsStored => _indexAsStored;
}
