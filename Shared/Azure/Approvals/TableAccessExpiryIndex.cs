using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// <see cref="IAccessExpiryIndex"/> in <see cref="ApprovalsOptions.ExpiryTable"/>: one partition, RowKey
/// "{due UTC ticks, 19 digits}|{request}|{account}|{region}|{group}", so "what is due" is one range query that returns
/// only due rows (one billed transaction per idle tick, whatever the number of groups).
/// </summary>
public sealed class TableAccessExpiryIndex(TableServiceClient service, IOptions<ApprovalsOptions> options) : IAccessExpiryIndex
{
    private const string Partition = "due";
    private readonly EnsuredTable _table = new(service, options.Value.ExpiryTable);

    public async Task AddAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var row = new TableEntity(Partition, RowKey(entry))
        {
            ["DueAt"] = entry.DueAt,
            ["RequestId"] = entry.RequestId,
            ["AccountId"] = entry.AccountId,
            ["Region"] = entry.Region,
            ["GroupId"] = entry.GroupId,
            ["Kind"] = entry.Kind.ToString(),
            ["RevokedBy"] = entry.RevokedBy,
            ["Attempts"] = entry.Attempts,
        };
        await _table.UpsertAsync(row, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<AccessExpiryEntry> ListDueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey lt {Ticks(now.AddTicks(1))}");
        return _table.QueryAsync(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).Take(max).Select(ToEntry);
    }

    public IAsyncEnumerable<AccessExpiryEntry> ListAllAsync(CancellationToken cancellationToken) =>
        _table.PartitionAsync(Partition, cancellationToken).Select(ToEntry);

    public async Task RemoveAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // One removed already (a redelivered tick) answers 404, which the Tables client returns instead of throwing.
        await _table.Client.DeleteEntityAsync(Partition, RowKey(entry), ETag.All, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AccessExpiryEntry?> FindAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return await _table.GetAsync(Partition, RowKey(entry), cancellationToken).ConfigureAwait(false) is { } row ? ToEntry(row) : null;
    }

    /// <summary>Everything but <see cref="AccessExpiryEntry.Attempts"/>: a retried entry is the same row.</summary>
    internal static string RowKey(AccessExpiryEntry e) => string.Join('|', Ticks(e.DueAt), e.RequestId, e.AccountId, e.Region, e.GroupId, e.Kind);

    private static string Ticks(DateTimeOffset t) => t.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The due time is read back from the row key (exact to the tick; a DateTime column may be stored coarser).</summary>
    private static AccessExpiryEntry ToEntry(TableEntity e) => new(
        new DateTimeOffset(long.Parse(e.RowKey.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero),
        e.GetString("RequestId"), e.GetString("AccountId"), e.GetString("Region"), e.GetString("GroupId"),
        Enum.TryParse<AccessEndKind>(e.GetString("Kind"), out var kind) ? kind : AccessEndKind.Expire, e.GetString("RevokedBy"), e.GetInt32("Attempts") ?? 0);
}
