namespace SgBridge.Shared.Storage;

/// <summary>The key of one row in the Slack state table, typed by what the row holds.</summary>
public sealed record SlackRow<T>(string Partition, string Row)
    where T : class;

/// <summary>
/// Slack message and batch state (<see cref="SgBridge.Shared.Options.StorageOptions.SlackTable"/>), written only by the notification code and
/// read by the Slack endpoint; request rows never carry it. Every access is a point read or a conditional write:
/// change rows through <see cref="ConditionalUpdate.UpdateAsync{T}(ISlackThreadStore, SlackRow{T}, Func{T, T}, CancellationToken)"/>.
/// </summary>
public interface ISlackThreadStore
{
    Task<Stored<T>?> GetAsync<T>(SlackRow<T> row, CancellationToken cancellationToken)
        where T : class;

    /// <summary>
    /// Writes the row: with <paramref name="etag"/> null only if it does not exist yet, else only if it still has that
    /// ETag. Returns the new ETag; throws <see cref="ConcurrencyConflictException"/> when another writer was first.
    /// </summary>
    Task<string> WriteAsync<T>(SlackRow<T> row, T value, string? etag, CancellationToken cancellationToken)
        where T : class;
}
