using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Intake;

/// <summary><see cref="IHeartbeatStore"/> in the groups table (<see cref="StorageOptions.GroupsTable"/>): one row, partition "~status", RowKey "heartbeat".</summary>
public sealed class TableHeartbeatStore : IHeartbeatStore
{
    private const string Partition = "~status";
    private const string Row = "heartbeat";

    private readonly EnsuredTable _table;

    public TableHeartbeatStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        _table = new EnsuredTable(service, options.Value.GroupsTable);
    }

    public async Task WriteAsync(HeartbeatBeat beat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(beat);
        var entity = new TableEntity(Partition, Row)
        {
            ["EventId"] = beat.EventId,
            ["SentAt"] = beat.SentAt,
            ["ReceivedAt"] = beat.ReceivedAt,
            ["Account"] = beat.Account,
            ["Rule"] = beat.Rule,
        };
        await _table.RunAsync((t, c) => t.UpsertEntityAsync(entity, TableUpdateMode.Replace, c), cancellationToken).ConfigureAwait(false);
    }

    public async Task<HeartbeatBeat?> LastAsync(CancellationToken cancellationToken)
    {
        // A point read: no table is created for it (the operator's read-only role could not).
        var row = await _table.Client.GetEntityIfExistsAsync<TableEntity>(Partition, Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }
        var e = row.Value!;
        return new HeartbeatBeat(e.GetString("EventId") ?? "", e.GetDateTimeOffset("SentAt") ?? default, e.GetString("Account") ?? "", e.GetString("Rule") ?? "",
            e.GetDateTimeOffset("ReceivedAt") ?? default);
    }
}
