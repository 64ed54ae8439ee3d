using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>The Slack state table: one JSON document per row under the keys its <see cref="SlackRow{T}"/> names; point reads and
/// conditional writes.</summary>
public sealed class TableSlackThreadStore(TableServiceClient service, IOptions<StorageOptions> options) : ISlackThreadStore
{
    private readonly EnsuredTable _table = new(service, options.Value.SlackTable);

    public async Task<Stored<T>?> GetAsync<T>(SlackRow<T> row, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(row);
        return await _table.GetAsync(row.Partition, row.Row, cancellationToken).ConfigureAwait(false) is { } e
            ? new Stored<T>(BridgeJson.Deserialize<T>(TableJson.Read(e)), e.ETag.ToString())
            : null;
    }

    public async Task<string> WriteAsync<T>(SlackRow<T> row, T value, string? etag, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(value);
        if (etag == ETag.All.ToString())
        {
            throw new ArgumentException("A conditional write needs the ETag the row was read at, not the wildcard '*'.", nameof(etag));
        }
        var entity = new TableEntity(row.Partition, row.Row) { ["Kind"] = typeof(T).Name };
        TableJson.Write(entity, BridgeJson.Serialize(value));
        return await _table.WriteConditionalAsync(entity, etag,
            $"Slack state row {row.Partition}/{row.Row} was changed by another writer since it was read.", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> WriteTogetherAsync(IReadOnlyList<SlackRowWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0 || writes.Any(w => w.Partition != writes[0].Partition))
        {
            throw new ArgumentException("A transaction writes one or more rows of one partition.", nameof(writes));
        }
        var actions = writes.Select(w =>
        {
            var entity = new TableEntity(w.Partition, w.Row) { ["Kind"] = w.Kind };
            TableJson.Write(entity, w.Json);
            return w.ETag is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(w.ETag));
        }).ToList();
        try
        {
            var response = await _table.RunAsync((t, ct) => t.SubmitTransactionAsync(actions, ct), cancellationToken).ConfigureAwait(false);
            return response.Value.Select(EnsuredTable.ETagOf).ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            throw new ConcurrencyConflictException($"Slack state rows in {writes[0].Partition} were changed by another writer since they were read.", ex)
            {
                FailedWrite = ex is TableTransactionFailedException failed ? failed.FailedTransactionActionIndex : null,
            };
        }
    }
}
