using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>A group's reconcile lease: one worker per group at a time; it lapses at <see cref="ExpiresAt"/> if the worker dies.</summary>
public sealed record GroupLease(string AccountId, string Region, string GroupId, string Owner, DateTimeOffset ExpiresAt, string ETag);

/// <summary>Each group's approved state and reconcile lease, one partition per account and region (a region's sweep is one partition
/// query).</summary>
public interface IGroupStateStore
{
    Task<Stored<ApprovedGroup>?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken);

    /// <summary>Adds the approved state; when one exists already, returns it instead (nothing is overwritten).</summary>
    Task<(Stored<ApprovedGroup> Group, bool Created)> AddOrGetAsync(ApprovedGroup group, CancellationToken cancellationToken);

    /// <summary>Replaces the row if it still has <paramref name="etag"/>; throws <see cref="ConcurrencyConflictException"/> otherwise.</summary>
    Task<string> ReplaceAsync(ApprovedGroup group, string etag, CancellationToken cancellationToken);

    /// <summary>Writes the approved state whatever is stored (onboarding with --force only).</summary>
    Task UpsertAsync(ApprovedGroup group, CancellationToken cancellationToken);

    IAsyncEnumerable<ApprovedGroup> ListAsync(string accountId, string region, CancellationToken cancellationToken);

    /// <summary>Takes the group's lease for <paramref name="duration"/>; null when another owner holds an unexpired lease.</summary>
    Task<GroupLease?> TryAcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease back (a lease another owner has taken since it lapsed is left alone).</summary>
    Task ReleaseLeaseAsync(GroupLease lease, CancellationToken cancellationToken);
}

public static class GroupStateUpdates
{
    /// <summary>Changes a group's approved state through <see cref="ConditionalUpdate"/>. Null: the group has no approved state.</summary>
    public static async Task<(Stored<ApprovedGroup> Stored, bool Written)?> UpdateAsync(this IGroupStateStore store, string accountId, string region, string groupId,
        Func<ApprovedGroup, bool> change, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(accountId, region, groupId, cancellationToken).ConfigureAwait(false);
        return stored is null
            ? null
            : await ConditionalUpdate.RunAsync(stored, change, store.ReplaceAsync,
                ct => store.GetAsync(accountId, region, groupId, ct), cancellationToken).ConfigureAwait(false);
    }
}
