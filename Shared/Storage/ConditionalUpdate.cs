namespace SgBridge.Shared.Storage;

/// <summary>
/// The one way a row other than a request changes (the request rows have <see cref="RequestUpdates"/>): read it,
/// compute the new value from the current one (null when the row does not exist yet), write it conditionally — insert
/// when it was absent, replace with the ETag it was read at otherwise — and on a conflict re-read and re-compute, a
/// bounded number of times. Callers pass the change, never their own retry loop.
/// </summary>
public static class ConditionalUpdate
{
    /// <summary>How many times a change is re-computed after another writer won, before giving up.</summary>
    public const int MaxAttempts = 8;

    /// <summary>
    /// Applies <paramref name="change"/> to the row: it gets the current value (null: no row) and returns the value to
    /// write, or null when there is nothing to write. It may run more than once. Throws
    /// <see cref="ConcurrencyConflictException"/> after <see cref="MaxAttempts"/> lost races.
    /// </summary>
    public static async Task<ConditionalResult<T>> ApplyAsync<T>(
        Func<CancellationToken, Task<Stored<T>?>> read,
        Func<T, string?, CancellationToken, Task<string>> write,
        Func<T?, T?> change,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var current = await read(cancellationToken).ConfigureAwait(false);
            var next = change(current?.Value);
            if (next is null)
            {
                return new ConditionalResult<T>(current, false);
            }
            try
            {
                var etag = await write(next, current?.ETag, cancellationToken).ConfigureAwait(false);
                return new ConditionalResult<T>(new Stored<T>(next, etag), true);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                // Someone else wrote (or created the row) first: start again from what they wrote.
            }
        }
    }

    /// <summary><see cref="ApplyAsync{T}"/> on a row of the Slack state table.</summary>
    public static Task<ConditionalResult<T>> UpdateAsync<T>(this ISlackThreadStore store, SlackRow<T> row, Func<T?, T?> change, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(store);
        return ApplyAsync(ct => store.GetAsync(row, ct), (value, etag, ct) => store.WriteAsync(row, value, etag, ct), change, cancellationToken);
    }
}

/// <summary>The outcome of <see cref="ConditionalUpdate.ApplyAsync{T}"/>: the row as stored now (null: still absent) and whether this call wrote it.</summary>
public sealed record ConditionalResult<T>(Stored<T>? Stored, bool Written)
    where T : class
{
    public T? Value => Stored?.Value;
}
