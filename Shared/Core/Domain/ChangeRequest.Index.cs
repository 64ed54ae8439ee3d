using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>
/// The request's entries in the store's timer indexes (null: not in that index): effects pending since (catch-up),
/// pending since (stale-request expiry) and final since (retention).
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

    /// <summary>The index entries stored with the copy this one was read (or last written) as; <see cref="RequestIndexEntries.None"/> if
    /// never stored.</summary>
    [JsonIgnore]
    public RequestIndexEntries IndexAsStored => _indexAsStored;
}
