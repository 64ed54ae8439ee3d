using System.Net;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Change requests in the table <see cref="StorageOptions.RequestsTable"/>: PartitionKey = request id,
/// RowKey = <see cref="RequestRowKey"/> (one request per partition, so point reads and ETag updates need no scan).
/// The whole request is stored as JSON (see <see cref="TableJson"/>); Status, AccountId, Region, GroupId, EventId,
/// Kind, CreatedAt and UpdatedAt are copied into columns for queries and for people browsing the table.
/// </summary>
public sealed class TableRequestStore : IRequestStore
{
    public const string RequestRowKey = "request";

    private readonly EnsuredTable _table;

    public TableRequestStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new EnsuredTable(service, options.Value.RequestsTable);
    }

    public async Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var response = await _table.Client.GetEntityIfExistsAsync<TableEntity>(requestId, RequestRowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? ToStored(response.Value!) : null;
    }

    public async Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var response = await _table.RunAsync((t, ct) => t.AddEntityAsync(ToEntity(request), ct), cancellationToken).ConfigureAwait(false);
            return (new Stored<ChangeRequest>(request, ETagOf(response)), true);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            var existing = await GetAsync(request.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Request {request.Id} already existed but was gone when read back.", ex);
            return (existing, false);
        }
    }

    public async Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(etag);
        if (etag == ETag.All.ToString())
        {
            throw new ArgumentException("An update needs the ETag the row was read at, not the wildcard '*'.", nameof(etag));
        }

        try
        {
            var response = await _table.Client.UpdateEntityAsync(ToEntity(request), new ETag(etag), TableUpdateMode.Replace, cancellationToken)
                .ConfigureAwait(false);
            return ETagOf(response);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            throw new ConcurrencyConflictException($"Request {request.Id} was changed by another writer since it was read.", ex);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"Request {request.Id} cannot be updated: it is not stored.", ex);
        }
    }

    public async IAsyncEnumerable<ChangeRequest> ListAsync(RequestStatus? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = status is { } s
            ? TableClient.CreateQueryFilter($"RowKey eq {RequestRowKey} and Status eq {s.ToString()}")
            : TableClient.CreateQueryFilter($"RowKey eq {RequestRowKey}");
        await using var rows = _table.Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await MoveNextAsync(rows).ConfigureAwait(false))
        {
            yield return BridgeJson.Deserialize<ChangeRequest>(TableJson.Read(rows.Current));
        }
    }

    /// <summary>The next row of a query; a table not created yet holds no rows.</summary>
    internal static async Task<bool> MoveNextAsync(IAsyncEnumerator<TableEntity> rows)
    {
        try
        {
            return await rows.MoveNextAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (EnsuredTable.IsTableNotFound(ex))
        {
            return false;
        }
    }

    internal static TableEntity ToEntity(ChangeRequest request)
    {
        var entity = new TableEntity(request.Id, RequestRowKey)
        {
            ["Status"] = request.Status.ToString(),
            ["Kind"] = request.Kind.ToString(),
            ["AccountId"] = request.AccountId,
            ["Region"] = request.Region,
            ["EventId"] = request.EventId,
            ["CreatedAt"] = request.CreatedAt,
            ["UpdatedAt"] = request.UpdatedAt,
        };
        if (request.GroupId is not null)
        {
            entity["GroupId"] = request.GroupId;
        }

        TableJson.Write(entity, BridgeJson.Serialize(request));
        return entity;
    }

    private static Stored<ChangeRequest> ToStored(TableEntity entity) =>
        new(BridgeJson.Deserialize<ChangeRequest>(TableJson.Read(entity)), entity.ETag.ToString());

    private static string ETagOf(Response response) =>
        response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("Table Storage returned no ETag.");
}
