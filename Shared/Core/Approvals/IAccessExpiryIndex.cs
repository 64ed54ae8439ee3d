namespace SgBridge.Shared.Approvals;

/// <summary>Why an index row exists: a time-bound approval runs out, or an approver revoked the access early.</summary>
public enum AccessEndKind
{
    Expire,
    Revoke,
}

/// <summary>One pending end of access to <paramref name="RequestId"/> at <paramref name="DueAt"/>; <paramref name="Attempts"/> counts
/// ticks that failed.</summary>
public sealed record AccessExpiryEntry(DateTimeOffset DueAt, string RequestId, string AccountId, string Region, string GroupId,
    AccessEndKind Kind = AccessEndKind.Expire, string? RevokedBy = null, int Attempts = 0);

/// <summary>
/// The expiry timer's index, one row per pending end of access ordered by due time, so a tick reads only what is due.
/// A hint, not the truth (the approved state is): rows are written before the approved state gets the expiry and
/// deleted after the revoke, so a crash in between leaves a row the next tick finishes.
/// </summary>
public interface IAccessExpiryIndex
{
    /// <summary>Writes the entry (idempotent: the same entry twice is one row).</summary>
    Task AddAsync(AccessExpiryEntry entry, CancellationToken cancellationToken);

    /// <summary>Entries due at or before <paramref name="now"/>, earliest first, at most <paramref name="max"/>.</summary>
    IAsyncEnumerable<AccessExpiryEntry> ListDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>Entries not yet due (for the CLI and tests), earliest first.</summary>
    IAsyncEnumerable<AccessExpiryEntry> ListAllAsync(CancellationToken cancellationToken);

    Task RemoveAsync(AccessExpiryEntry entry, CancellationToken cancellationToken);

    /// <summary>The stored row for this entry (with its current <see cref="AccessExpiryEntry.Attempts"/>), or null: none (done already).</summary>
    Task<AccessExpiryEntry?> FindAsync(AccessExpiryEntry entry, CancellationToken cancellationToken);
}
