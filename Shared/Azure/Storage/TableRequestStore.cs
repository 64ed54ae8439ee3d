using System.Net;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Change requests in the table <see cref="StorageOptions.RequestsTable"/>: PartitionKey = one of
/// <see cref="Partitions"/> buckets (<see cref="PartitionOf"/>, from the id), RowKey = the request id, so a point read
/// or an ETag update names its row directly. The whole request is stored as JSON (see <see cref="TableJson"/>); Type,
/// Status, AccountId, Region, GroupId, EventId, Kind, CreatedAt and UpdatedAt are copied into columns for queries and
/// for people browsing the table.
/// <para>
/// The <b>effects index</b>: while a request has pending effects (<see cref="ChangeRequest.Effects"/>) its partition also
/// holds the row <c>due|&lt;id&gt;</c> (Type = effects, DueAt = <see cref="ChangeRequest.EffectsDueSince"/>), written or
/// deleted in the <b>same transaction</b> as the request row (an entity-group transaction: one round trip), so the
/// index never disagrees with the request. The effects catch-up reads one range of each bucket (<see cref="ListEffectsDueAsync"/>),
/// never the requests themselves.
/// </para>
/// </summary>
public sealed class TableRequestStore : IRequestStore, IEffectsIndex
{
    /// <summary>How many partitions the requests spread over (each ≈ 2,000 entities/s; the catch-up reads one range per partition).</summary>
    public const int Partitions = 8;

    /// <summary>The Type column of a request row.</summary>
    public const string RequestType = "request";

    /// <summary>The Type column of an effects index row.</summary>
    public const string EffectsType = "effects";

    /// <summary>The server filter that selects request rows (not index rows).</summary>
    public const string RequestRowsFilter = "Type eq 'request'";

    private const string DuePrefix = "due|";

    private readonly EnsuredTable _table;

    /// <summary>The partition of request <paramref name="requestId"/>: a bucket from its first character after "SG-" (uniform: the id is a hash).</summary>
    public static string PartitionOf(string requestId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var c = requestId.Length > 3 ? requestId[3] : requestId[0];
        return "requests-" + (c % Partitions).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string DueRow(string requestId) => DuePrefix + requestId;

    /// <summary>The row key of request <paramref name="requestId"/>'s effects index row (in its partition).</summary>
    public static string EffectsRowOf(string requestId) => DueRow(requestId);

    public TableRequestStore(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new EnsuredTable(service, options.Value.RequestsTable);
    }

    public async Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var response = await _table.Client.GetEntityIfExistsAsync<TableEntity>(PartitionOf(requestId), requestId, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? ToStored(response.Value!) : null;
    }

    public async Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var etag = await WriteAsync(request, TableTransactionActionType.Add, null, cancellationToken).ConfigureAwait(false);
            return (new Stored<ChangeRequest>(request, etag), true);
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
            return await WriteAsync(request, TableTransactionActionType.UpdateReplace, new ETag(etag), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The request row alone (one call), or with its index row in one transaction when the write changes the index
    /// (<see cref="ChangeRequest.IndexChange"/>). Returns the request row's new ETag.
    /// </summary>
    private async Task<string> WriteAsync(ChangeRequest request, TableTransactionActionType action, ETag? etag, CancellationToken ct)
    {
        var entity = ToEntity(request);
        var index = request.IndexChange switch
        {
            EffectsIndexChange.Write => new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexEntity(request)),
            EffectsIndexChange.Delete => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(entity.PartitionKey, DueRow(request.Id)), ETag.All),
            _ => null,
        };
        if (index is null)
        {
            var single = action == TableTransactionActionType.Add
                ? await _table.RunAsync((t, c) => t.AddEntityAsync(entity, c), ct).ConfigureAwait(false)
                : await _table.Client.UpdateEntityAsync(entity, etag!.Value, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            return ETagOf(single);
        }
        TableTransactionAction[] actions = [etag is { } e ? new TableTransactionAction(action, entity, e) : new TableTransactionAction(action, entity), index];
        // A failed condition fails the whole transaction with the request row's status (409 exists, 412 changed, 404 gone).
        var response = await _table.RunAsync((t, c) => t.SubmitTransactionAsync(actions, c), ct).ConfigureAwait(false);
        return ETagOf(response.Value[0]);
    }

    private static TableEntity IndexEntity(ChangeRequest request) => new(PartitionOf(request.Id), DueRow(request.Id))
    {
        ["Type"] = EffectsType,
        ["RequestId"] = request.Id,
        ["DueAt"] = request.EffectsDueSince ?? throw new InvalidOperationException($"Request {request.Id} has no pending effects to index."),
    };

    public async IAsyncEnumerable<EffectsDue> ListEffectsDueAsync(DateTimeOffset dueBy, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var found = 0;
        for (var p = 0; p < Partitions && found < max; p++)
        {
            var partition = "requests-" + p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {DuePrefix} and RowKey lt {"due}"} and DueAt le {dueBy}");
            await using var rows = _table.Client.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (found < max && await MoveNextAsync(rows).ConfigureAwait(false))
            {
                found++;
                yield return new EffectsDue(rows.Current.GetString("RequestId"), rows.Current.GetDateTimeOffset("DueAt") ?? dueBy, rows.Current.ETag.ToString());
            }
        }
    }

    public async Task<bool> PostponeEffectsAsync(EffectsDue entry, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var row = new TableEntity(PartitionOf(entry.RequestId), DueRow(entry.RequestId)) { ["DueAt"] = until };
        try
        {
            await _table.Client.UpdateEntityAsync(row, new ETag(entry.ETag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false; // the request was written meanwhile (its effects cleared or re-indexed): nothing to postpone
        }
    }

    public async IAsyncEnumerable<ChangeRequest> ListAsync(RequestStatus? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = status is { } s
            ? RequestRowsFilter + " and " + TableClient.CreateQueryFilter($"Status eq {s.ToString()}")
            : RequestRowsFilter;
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
        var entity = new TableEntity(PartitionOf(request.Id), request.Id)
        {
            ["Type"] = RequestType,
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
