using System.Net;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// <see cref="IGroupStateStore"/> in the table <see cref="StorageOptions.GroupsTable"/>: PartitionKey "{account}-{region}",
/// RowKey the group id for the approved state (JSON via <see cref="TableJson"/>, RuleCount and UpdatedAt as columns) and
/// "{groupId}|lease" for the lease (Owner, ExpiresAt).
/// </summary>
public sealed class TableGroupStateStore : IGroupStateStore
{
    private const string KindColumn = "Kind";
    private const string Approved = "approved";
    private const string Lease = "lease";

    private readonly EnsuredTable _table;
    private readonly TimeSpan _readTimeout;

    public TableGroupStateStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new EnsuredTable(service, options.Value.GroupsTable);
        _readTimeout = options.Value.GroupReadTimeout;
    }

    /// <summary>
    /// Bounded by <see cref="StorageOptions.GroupReadTimeout"/>, retries included: with the lease (<see cref="TryAcquireLeaseAsync"/>),
    /// the storage calls a revert makes before its AWS calls. Past it the read fails as an outage
    /// (<see cref="StorageUnavailableException"/>), so the revert takes its storage-less path (revoke an add by rule id)
    /// instead of waiting for the table.
    /// </summary>
    public Task<Stored<ApprovedGroup>?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken) =>
        WithinReadTimeoutAsync($"the read of {groupId}'s approved state", async ct =>
        {
            var response = await _table.Client.GetEntityIfExistsAsync<TableEntity>(Partition(accountId, region), Row(groupId), cancellationToken: ct)
                .ConfigureAwait(false);
            return response.HasValue ? ToStored(response.Value!) : null;
        }, cancellationToken);

    /// <summary>
    /// Runs a call that precedes a revert's AWS calls under <see cref="StorageOptions.GroupReadTimeout"/>; past it, the
    /// call is cancelled and reported as an outage, whatever the client's own per-try timeouts and retries would allow.
    /// </summary>
    private async Task<T> WithinReadTimeoutAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_readTimeout);
        try
        {
            return await call(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested && ex is not StorageUnavailableException)
        {
            // Cancelled at the deadline: an OperationCanceledException, or (when a try had already failed) the client's
            // AggregateException of its tries.
            throw new StorageUnavailableException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Table Storage did not answer {what} within {_readTimeout.TotalSeconds:0.###} s (Storage:GroupReadTimeout)."), ex);
        }
    }

    public async Task<(Stored<ApprovedGroup> Group, bool Created)> AddOrGetAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        try
        {
            var response = await _table.RunAsync((t, c) => t.AddEntityAsync(ToEntity(group), c), cancellationToken).ConfigureAwait(false);
            return (new Stored<ApprovedGroup>(group, response.Headers.ETag!.Value.ToString()), true);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            var existing = await GetAsync(group.AccountId, group.Region, group.GroupId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The approved state of {group.GroupId} existed but was gone when read back.", ex);
            return (existing, false);
        }
    }

    public async Task<string> ReplaceAsync(ApprovedGroup group, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        try
        {
            var response = await _table.Client.UpdateEntityAsync(ToEntity(group), new ETag(etag), TableUpdateMode.Replace, cancellationToken)
                .ConfigureAwait(false);
            return response.Headers.ETag!.Value.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            throw new ConcurrencyConflictException($"The approved state of {group.GroupId} was changed by another writer since it was read.", ex);
        }
    }

    public async Task UpsertAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        await _table.RunAsync((t, c) => t.UpsertEntityAsync(ToEntity(group), TableUpdateMode.Replace, c), cancellationToken)
            .ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ApprovedGroup> ListAsync(string accountId, string region, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(accountId, region)} and Kind eq {Approved}");
        await foreach (var entity in _table.QueryAsync(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return BridgeJson.Deserialize<ApprovedGroup>(TableJson.Read(entity));
        }
    }

    /// <summary>
    /// Bounded like <see cref="GetAsync"/> (the first storage call of every reconcile, so of every revert): a table that
    /// hangs fails it as an outage within <see cref="StorageOptions.GroupReadTimeout"/>. The write is not cancelled at the
    /// deadline, only no longer waited for: a lease that lands after all (a slow table, a starved client) is released
    /// by its owner as soon as its answer comes, so the group's next events do not wait out its duration.
    /// </summary>
    public async Task<GroupLease?> TryAcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var acquire = AcquireLeaseAsync(accountId, region, groupId, owner, now, duration, cancellationToken);
        try
        {
            return await acquire.WaitAsync(_readTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            _ = ReleaseWhenAnsweredAsync(acquire);
            throw new StorageUnavailableException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Table Storage did not answer the lease of {groupId} within {_readTimeout.TotalSeconds:0.###} s (Storage:GroupReadTimeout)."), ex);
        }
    }

    /// <summary>The late answer of a lease the caller gave up on: if it was taken, let it go (conditional on its ETag).</summary>
    private async Task ReleaseWhenAnsweredAsync(Task<GroupLease?> acquire)
    {
        try
        {
            if (await acquire.ConfigureAwait(false) is { } late)
            {
                await ReleaseLeaseAsync(late, CancellationToken.None).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // a background continuation: whatever it throws is dropped, by design
        catch (Exception)
#pragma warning restore CA1031
        {
            // Never taken, or the release failed too: a lease left behind lapses after its duration.
        }
    }

    private async Task<GroupLease?> AcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var table = _table.Client;
        var partition = Partition(accountId, region);
        var row = Row(groupId) + "|" + Lease;
        var expires = now + duration;
        var entity = new TableEntity(partition, row) { [KindColumn] = Lease, ["Owner"] = owner, ["ExpiresAt"] = expires };
        try
        {
            // The common case: nobody holds the lease, and the row does not exist. One write.
            var added = await _table.RunAsync((t, c) => t.AddEntityAsync(entity, c), cancellationToken).ConfigureAwait(false);
            return new GroupLease(accountId, region, groupId, owner, expires, added.Headers.ETag!.Value.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
        }
        var current = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!current.HasValue)
        {
            return null; // released between the two calls: the caller tries again
        }
        var held = current.Value!;
        if (held.GetString("Owner") != owner && held.GetDateTimeOffset("ExpiresAt") is { } until && until > now)
        {
            return null;
        }
        try
        {
            var taken = await table.UpdateEntityAsync(entity, held.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new GroupLease(accountId, region, groupId, owner, expires, taken.Headers.ETag!.Value.ToString());
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task ReleaseLeaseAsync(GroupLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await _table.Client.DeleteEntityAsync(Partition(lease.AccountId, lease.Region), Row(lease.GroupId) + "|" + Lease, new ETag(lease.ETag), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            // Lapsed and taken by another worker, or already gone: not ours to release.
        }
    }

    internal static string Partition(string accountId, string region) => $"{Key(accountId)}-{Key(region)}";

    private static string Row(string groupId) => Key(groupId);

    private static TableEntity ToEntity(ApprovedGroup group)
    {
        var entity = new TableEntity(Partition(group.AccountId, group.Region), Row(group.GroupId))
        {
            [KindColumn] = Approved,
            ["RuleCount"] = group.Rules.Count,
            ["UpdatedAt"] = group.UpdatedAt,
        };
        TableJson.Write(entity, BridgeJson.Serialize(group));
        return entity;
    }

    private static Stored<ApprovedGroup> ToStored(TableEntity entity) =>
        new(BridgeJson.Deserialize<ApprovedGroup>(TableJson.Read(entity)), entity.ETag.ToString());

    /// <summary>Table keys may not contain '/', '\', '#', '?', '|' (our separator) or control characters.</summary>
    private static string Key(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (value.AsSpan().IndexOfAny("/\\#?|") >= 0 || value.Any(char.IsControl))
        {
            throw new ArgumentException($"'{value}' cannot be part of a table key.", nameof(value));
        }
        return value;
    }
}
