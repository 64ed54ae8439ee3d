namespace SgBridge.Shared.Storage;

/// <summary>The key of one row in the Slack state table, typed by what the row holds.</summary>
public sealed record SlackRow<T>(string Partition, string Row)
    where T : class;

/// <summary>
/// Slack message and batch state, written only by the notification code and read by the Slack endpoint: point reads
/// and conditional writes only (change rows through <see cref="ConditionalUpdate"/>).
/// </summary>
public interface ISlackThreadStore
{
    Task<Stored<T>?> GetAsync<T>(SlackRow<T> row, CancellationToken cancellationToken)
        where T : class;

    /// <summary>Writes the row: an insert when <paramref name="etag"/> is null, else only if it still has that ETag. Returns the new
    /// ETag.</summary>
    Task<string> WriteAsync<T>(SlackRow<T> row, T value, string? etag, CancellationToken cancellationToken)
        where T : class;

    /// <summary>
    /// Writes rows of <b>one partition</b> in one transaction: all or none, each inserted (ETag null) or replaced only if
    /// it still has its ETag. Returns the new ETags in order; throws <see cref="ConcurrencyConflictException"/> otherwise.
    /// </summary>
    Task<IReadOnlyList<string>> WriteTogetherAsync(IReadOnlyList<SlackRowWrite> writes, CancellationToken cancellationToken);
}

/// <summary>One conditional write of <see cref="ISlackThreadStore.WriteTogetherAsync"/>: the row, its JSON and the ETag it must still have (null: insert).</summary>
public sealed record SlackRowWrite(string Partition, string Row, string Kind, string Json, string? ETag)
{
    public static SlackRowWrite Of<T>(SlackRow<T> row, T value, string? etag)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(value);
        return new(row.Partition, row.Row, typeof(T).Name, SgBridge.Shared.Domain.BridgeJson.Serialize(value), etag);
    }
}
