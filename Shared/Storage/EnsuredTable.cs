using Azure.Data.Tables;

namespace SgBridge.Shared.Storage;

/// <summary>A table created on first use (CreateIfNotExists once per instance; a failed attempt is retried next time).</summary>
internal sealed class EnsuredTable(TableServiceClient service, string tableName)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile TableClient? _client;

    public string Name => tableName;

    public async ValueTask<TableClient> GetAsync(CancellationToken cancellationToken)
    {
        if (_client is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null)
            {
                var client = service.GetTableClient(tableName);
                await client.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _client = client;
            }

            return _client;
        }
        finally
        {
            _gate.Release();
        }
    }
}
