using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Change requests in <see cref="StorageOptions.RequestsTable"/>: PartitionKey one of <see cref="Partitions"/> buckets
/// (<see cref="PartitionOf"/>), RowKey the request id; the request as JSON (<see cref="TableJson"/>) with a few columns
/// copied for queries and people browsing the table. Three index rows live beside it and are written, moved or deleted
/// in the same entity-group transaction (<see cref="IndexActions"/>), so an index never disagrees with the request:
/// <c>due|&lt;id&gt;</c> while effects are pending (the effects catch-up), <c>pending|&lt;created at&gt;|&lt;id&gt;</c>
/// while Pending (the stale-request expiry) and <c>final|&lt;last changed at&gt;|&lt;id&gt;</c> while final (retention).
/// Each timer reads one RowKey range per bucket, never the requests.
/// </summary>
public sealed class TableRequestStore(TableServiceClient service, IOptions<StorageOptions> options)
    : IRequestStore, IEffectsIndex, IPendingRequestsIndex
{
    /// <summary>How many partitions the requests spread over (each ≈ 2,000 entities/s; the catch-up reads one range per partition).</summary>
    public const int Partitions = 8;

    /// <summary>The Type column of a request row (an index row's is "effects", "pending" or "final").</summary>
    public const string RequestType = "request";

    /// <summary>The server filter that selects request rows (not index rows).</summary>
    public const string RequestRowsFilter = "Type eq 'request'";

    private const string DuePrefix = "due|";

    /// <summary>Row keys of the pending index: <c>pending|&lt;created at&gt;|&lt;id&gt;</c>, while the request is Pending.</summary>
    public const string PendingPrefix = "pending|";

    /// <summary>Row keys of the final index: <c>final|&lt;last changed at&gt;|&lt;id&gt;</c>, while the request is final.</summary>
    public const string FinalPrefix = "final|";

    private readonly EnsuredTable _table = new(service, options.Value.RequestsTable);

    /// <summary>The partition of request <paramref name="requestId"/>: a bucket from its first character after "SG-" (uniform: the id is a hash).</summary>
    public static string PartitionOf(string requestId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var c = requestId.Length > 3 ? requestId[3] : requestId[0];
        return Partition(c % Partitions);
    }

    private static string Partition(int bucket) => "requests-" + bucket.ToString(CultureInfo.InvariantCulture);

    /// <summary>The row key of request <paramref name="requestId"/>'s effects index row (in its partition).</summary>
    internal static string DueRow(string requestId) => DuePrefix + requestId;

    public async Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        return await _table.GetAsync(PartitionOf(requestId), requestId, cancellationToken).ConfigureAwait(false) is { } row
            ? ToStored(row)
            : null;
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

    /// <summary>The request row alone (one call), or with the index rows it changes in one transaction. Returns the row's new
    /// ETag.</summary>
    private async Task<string> WriteAsync(ChangeRequest request, TableTransactionActionType action, ETag? etag, CancellationToken ct)
    {
        var entity = ToEntity(request);
        var index = IndexActions(request);
        if (index.Count == 0)
        {
            return await _table.WriteAsync(entity, etag?.ToString(), ct).ConfigureAwait(false);
        }
        TableTransactionAction[] actions = [etag is { } e ? new TableTransactionAction(action, entity, e) : new TableTransactionAction(action, entity), .. index];
        // A failed condition fails the whole transaction with the request row's status (409 exists, 412 changed, 404 gone).
        var response = await _table.RunAsync((t, c) => t.SubmitTransactionAsync(actions, c), ct).ConfigureAwait(false);
        return EnsuredTable.ETagOf(response.Value[0]);
    }

    /// <summary>
    /// The index rows a write adds, moves or deletes: the entries stored with the copy it was read as against those its
    /// state now calls for. The effects row keeps its key (the catch-up postpones its due column); a pending or final
    /// row's key holds its time, so a new time is a new row.
    /// </summary>
    internal static List<TableTransactionAction> IndexActions(ChangeRequest request)
    {
        var (was, now) = (request.IndexAsStored, request.IndexEntries);
        var actions = new List<TableTransactionAction>();
        var partition = PartitionOf(request.Id);
        switch (request.IndexChange)
        {
            case EffectsIndexChange.Write:
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexEntity(partition, DueRow(request.Id), "effects", request.Id, now.EffectsDueSince!.Value)));
                break;
            case EffectsIndexChange.Delete:
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, DueRow(request.Id)), ETag.All));
                break;
        }
        Move(PendingPrefix, was.PendingSince, now.PendingSince);
        Move(FinalPrefix, was.FinalSince, now.FinalSince);
        return actions;

        void Move(string prefix, DateTimeOffset? before, DateTimeOffset? after)
        {
            if (before == after)
            {
                return;
            }
            if (before is { } b)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, TimedRow(prefix, b, request.Id)), ETag.All));
            }
            if (after is { } a)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexEntity(partition, TimedRow(prefix, a, request.Id), prefix.TrimEnd('|'), request.Id, a)));
            }
        }
    }

    private static TableEntity IndexEntity(string partition, string row, string type, string requestId, DateTimeOffset at) => new(partition, row)
    {
        ["Type"] = type,
        ["RequestId"] = requestId,
        ["DueAt"] = at,
    };

    /// <summary>The row key of an entry of a timed index: prefix, the UTC time (fixed width, so keys sort by time), the id.</summary>
    internal static string TimedRow(string prefix, DateTimeOffset at, string requestId) => prefix + Sortable(at) + "|" + requestId;

    private static string Sortable(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The index rows <paramref name="filter"/> selects in each partition in turn, at most <paramref name="max"/> in all.</summary>
    private static async IAsyncEnumerable<TableEntity> ListIndexAsync(EnsuredTable table, Func<string, string> filter, string[]? columns,
        int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var found = 0;
        for (var p = 0; p < Partitions && found < max; p++)
        {
            await foreach (var row in table.QueryAsync(filter(Partition(p)), columns, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                yield return row;
                if (++found == max)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>The requests with a timed-index entry at or before <paramref name="until"/>: one RowKey range per partition, oldest first
    /// in each.</summary>
    internal static IAsyncEnumerable<TimedEntry> ListTimedAsync(EnsuredTable table, string prefix, DateTimeOffset until, int max,
        CancellationToken cancellationToken)
    {
        var end = prefix + Sortable(until.AddTicks(1));
        return ListIndexAsync(table, partition => TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {prefix} and RowKey lt {end}"),
                ["PartitionKey", "RowKey", "RequestId", "DueAt"], max, cancellationToken)
            .Select(row => new TimedEntry(row.GetString("RequestId"), row.GetDateTimeOffset("DueAt") ?? until, row.RowKey));
    }

    public IAsyncEnumerable<string> ListPendingCreatedByAsync(DateTimeOffset createdBy, int max, CancellationToken cancellationToken) =>
        ListTimedAsync(_table, PendingPrefix, createdBy, max, cancellationToken).Select(entry => entry.RequestId);

    public IAsyncEnumerable<EffectsDue> ListEffectsDueAsync(DateTimeOffset dueBy, int max, CancellationToken cancellationToken) =>
        ListIndexAsync(_table, partition => TableClient.CreateQueryFilter(
                $"PartitionKey eq {partition} and RowKey ge {DuePrefix} and RowKey lt {"due}"} and DueAt le {dueBy}"), null, max, cancellationToken)
            .Select(row => new EffectsDue(row.GetString("RequestId"), row.GetDateTimeOffset("DueAt") ?? dueBy, row.ETag.ToString()));

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
}

/// <summary>An entry of a timed index: the request, the entry's time, and its row key (in the request's partition).</summary>
internal sealed record TimedEntry(string RequestId, DateTimeOffset At, string RowKey);
