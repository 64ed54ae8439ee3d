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
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(requestId, RequestRowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? ToStored(response.Value!) : null;
    }

    public async Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.AddEntityAsync(ToEntity(request), cancellationToken).ConfigureAwait(false);
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

        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(request), new ETag(etag), TableUpdateMode.Replace, cancellationToken)
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
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var filter = status is { } s
            ? TableClient.CreateQueryFilter($"RowKey eq {RequestRowKey} and Status eq {s.ToString()}")
            : TableClient.CreateQueryFilter($"RowKey eq {RequestRowKey}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return BridgeJson.Deserialize<ChangeRequest>(TableJson.Read(entity));
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
