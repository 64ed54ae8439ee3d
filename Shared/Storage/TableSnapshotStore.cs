using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Group snapshots in the table <see cref="StorageOptions.SnapshotsTable"/>: PartitionKey = AWS account id,
/// RowKey = "{region}|{groupId}". The snapshot is stored as JSON (see <see cref="TableJson"/>); Region, GroupId,
/// GroupName, VpcId, RuleCount and TakenAt are copied into columns. Saving replaces the previous snapshot (last write wins).
/// </summary>
public sealed class TableSnapshotStore : ISnapshotStore
{
    private readonly EnsuredTable _table;

    public TableSnapshotStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new EnsuredTable(service, options.Value.SnapshotsTable);
    }

    public async Task<GroupSnapshot?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken)
    {
        var (partitionKey, rowKey) = Keys(accountId, region, groupId);
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? BridgeJson.Deserialize<GroupSnapshot>(TableJson.Read(response.Value!)) : null;
    }

    public async Task SaveAsync(GroupSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var (partitionKey, rowKey) = Keys(snapshot.AccountId, snapshot.Region, snapshot.GroupId);
        var entity = new TableEntity(partitionKey, rowKey)
        {
            ["Region"] = snapshot.Region,
            ["GroupId"] = snapshot.GroupId,
            ["RuleCount"] = snapshot.Rules.Count,
            ["TakenAt"] = snapshot.TakenAt,
        };
        if (snapshot.GroupName is not null)
        {
            entity["GroupName"] = snapshot.GroupName;
        }

        if (snapshot.VpcId is not null)
        {
            entity["VpcId"] = snapshot.VpcId;
        }

        TableJson.Write(entity, BridgeJson.Serialize(snapshot));
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    internal static (string PartitionKey, string RowKey) Keys(string accountId, string region, string groupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return (CheckKey(accountId, nameof(accountId)), $"{CheckKey(region, nameof(region))}|{CheckKey(groupId, nameof(groupId))}");
    }

    /// <summary>Table keys may not contain '/', '\', '#', '?' or control characters; '|' separates region and group.</summary>
    private static string CheckKey(string value, string name)
    {
        if (value.AsSpan().IndexOfAny("/\\#?|") >= 0 || value.Any(char.IsControl))
        {
            throw new ArgumentException($"'{value}' cannot be part of a table key.", name);
        }

        return value;
    }
}
