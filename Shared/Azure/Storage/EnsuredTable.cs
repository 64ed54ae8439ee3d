using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;

namespace SgBridge.Shared.Storage;

/// <summary>
/// A table the bridge creates when it is missing: <see cref="RunAsync{T}"/> sends the operation straight away and
/// creates the table only when Table Storage answers <c>TableNotFound</c>, then sends it again, so a start with the
/// tables in place makes no table-creation call at all.
/// </summary>
internal sealed class EnsuredTable(TableServiceClient service, string tableName)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;

    /// <summary>The table's client without any call; reads of a missing table find nothing (point reads) or fail with 404 (queries).</summary>
    public TableClient Client { get; } = service.GetTableClient(tableName);

    /// <summary>Runs <paramref name="operation"/>; if the table does not exist, creates it and runs it once more.</summary>
    public async Task<T> RunAsync<T>(Func<TableClient, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            return await operation(Client, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (IsTableNotFound(ex))
        {
            // Writers that found the table missing at the same time create it once, not once each.
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_created)
                {
                    await Client.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                    _created = true;
                }
            }
            finally
            {
                _gate.Release();
            }
            return await operation(Client, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The rows <paramref name="filter"/> selects; a table not created yet holds none (reads never create it).</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(string filter, IEnumerable<string>? select = null, int? maxPerPage = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var rows = Client.QueryAsync<TableEntity>(filter, maxPerPage, select, cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await rows.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RequestFailedException ex) when (IsTableNotFound(ex))
            {
                yield break;
            }
            yield return rows.Current;
        }
    }

    /// <summary>The row, or null; a point read of a missing table finds nothing (reads never create it).</summary>
    public async Task<TableEntity?> GetAsync(string partition, string row, CancellationToken cancellationToken)
    {
        var response = await Client.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Adds the row (<paramref name="etag"/> null) or replaces it if it still has that ETag; returns its new ETag.</summary>
    public async Task<string> WriteAsync(TableEntity entity, string? etag, CancellationToken cancellationToken) =>
        ETagOf(etag is null
            ? await RunAsync((t, c) => t.AddEntityAsync(entity, c), cancellationToken).ConfigureAwait(false)
            : await Client.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false));

    /// <summary><see cref="WriteAsync"/>, where another writer's row (409 there already, 412 changed, 404 gone) is a
    /// <see cref="ConcurrencyConflictException"/> saying <paramref name="conflict"/>.</summary>
    public async Task<string> WriteConditionalAsync(TableEntity entity, string? etag, string conflict, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(entity, etag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            throw new ConcurrencyConflictException(conflict, ex);
        }
    }

    public Task<Response> UpsertAsync(TableEntity entity, CancellationToken cancellationToken) =>
        RunAsync((t, c) => t.UpsertEntityAsync(entity, TableUpdateMode.Replace, c), cancellationToken);

    public IAsyncEnumerable<TableEntity> PartitionAsync(string partition, CancellationToken cancellationToken) =>
        QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken: cancellationToken);

    public static string ETagOf(Response response) =>
        response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("Table Storage returned no ETag.");

    /// <summary>Table Storage's answer for an operation on a table that does not exist (a batch reports it per failed action).</summary>
    public static bool IsTableNotFound(RequestFailedException ex) =>
        ex is { Status: 404 } && ex.ErrorCode == "TableNotFound";
}
