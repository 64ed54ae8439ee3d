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
    private readonly TableClient _unchecked = service.GetTableClient(tableName);
    private volatile TableClient? _client;

    public string Name => tableName;

    /// <summary>The table's client without any call; reads of a missing table find nothing (point reads) or fail with 404 (queries).</summary>
    public TableClient Client => _unchecked;

    /// <summary>Runs <paramref name="operation"/>; if the table does not exist, creates it and runs it once more.</summary>
    public async Task<T> RunAsync<T>(Func<TableClient, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            return await operation(_unchecked, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (IsTableNotFound(ex))
        {
            // Writers that found the table missing at the same time create it once, not once each.
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_client is null)
                {
                    await _unchecked.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                    _client = _unchecked;
                }
            }
            finally
            {
                _gate.Release();
            }
            return await operation(_unchecked, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The rows <paramref name="filter"/> selects; a table not created yet holds none (reads never create it).</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(string filter, IEnumerable<string>? select = null, int? maxPerPage = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var rows = _unchecked.QueryAsync<TableEntity>(filter, maxPerPage, select, cancellationToken)
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

    /// <summary>Table Storage's answer for an operation on a table that does not exist (a batch reports it per failed action).</summary>
    public static bool IsTableNotFound(RequestFailedException ex) =>
        ex is { Status: 404 } && ex.ErrorCode == "TableNotFound";
}
