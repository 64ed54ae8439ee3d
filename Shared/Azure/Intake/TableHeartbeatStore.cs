using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Intake;

/// <summary><see cref="IHeartbeatStore"/> in the groups table (<see cref="StorageOptions.GroupsTable"/>): one row, partition "~status", RowKey "heartbeat".</summary>
public sealed class TableHeartbeatStore(TableServiceClient service, IOptions<StorageOptions> options) : IHeartbeatStore
{
    private const string Partition = "~status";
    private const string Row = "heartbeat";

    private readonly EnsuredTable _table = new(service, options.Value.GroupsTable);

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
        await _table.UpsertAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    public async Task<HeartbeatBeat?> LastAsync(CancellationToken cancellationToken) =>
        await _table.GetAsync(Partition, Row, cancellationToken).ConfigureAwait(false) is { } e
            ? new HeartbeatBeat(e.GetString("EventId") ?? "", e.GetDateTimeOffset("SentAt") ?? default, e.GetString("Account") ?? "",
                e.GetString("Rule") ?? "", e.GetDateTimeOffset("ReceivedAt") ?? default)
            : null;
}
