namespace SgBridge.Shared.Storage;

/// <summary>The one optimistic-concurrency loop: apply a change to the domain object, write with the ETag, re-read and re-apply on
/// conflict.</summary>
public static class ConditionalUpdate
{
    /// <summary>How many times a change is applied before a run of lost races gives up.</summary>
    public const int MaxAttempts = 8;

    /// <summary>
    /// Applies <paramref name="change"/> (false: nothing to write; it may run again on a fresh copy) and writes with
    /// <paramref name="replace"/>. Returns the stored value and whether it was written.
    /// </summary>
    public static async Task<(Stored<T> Stored, bool Written)> RunAsync<T>(
        Stored<T> stored,
        Func<T, bool> change,
        Func<T, string, CancellationToken, Task<string>> replace,
        Func<CancellationToken, Task<Stored<T>?>> reread,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(stored);
        Stored<T>? unread = stored;
        var result = await ApplyAsync(
            async ct =>
            {
                var copy = unread ?? await reread(ct).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The row disappeared while it was being changed.");
                unread = null;
                return copy;
            },
            (value, etag, ct) => replace(value, etag!, ct),
            value => change(value!) ? value : null,
            cancellationToken).ConfigureAwait(false);
        return (result.Stored!, result.Written);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the row (null in: no row; null out: nothing to write; it may run more than
    /// once). Throws <see cref="ConcurrencyConflictException"/> after <see cref="MaxAttempts"/> lost races.
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
        return await RetryAsync(
            async _ =>
            {
                var current = await read(cancellationToken).ConfigureAwait(false);
                if (change(current?.Value) is not { } next)
                {
                    return new ConditionalResult<T>(current, false);
                }
                // Someone else may write (or create the row) first: then the next attempt starts from what they wrote.
                var etag = await write(next, current?.ETag, cancellationToken).ConfigureAwait(false);
                return new ConditionalResult<T>(new Stored<T>(next, etag), true);
            },
            static _ => Task.FromResult<ConditionalResult<T>?>(null)).ConfigureAwait(false);
    }

    /// <summary>
    /// The one conflict loop: runs <paramref name="attempt"/> (given its number, from 1) until it writes without a
    /// <see cref="ConcurrencyConflictException"/>. After a conflict <paramref name="settled"/> may end it with a result
    /// (the work turns out done by the writer that was first); null tries again. The conflict is rethrown after
    /// <see cref="MaxAttempts"/> attempts.
    /// </summary>
    public static async Task<TResult> RetryAsync<TResult>(Func<int, Task<TResult>> attempt, Func<ConcurrencyConflictException, Task<TResult?>> settled)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(settled);
        for (var n = 1; ; n++)
        {
            try
            {
                return await attempt(n).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException conflict)
            {
                if (await settled(conflict).ConfigureAwait(false) is { } done)
                {
                    return done;
                }
                if (n >= MaxAttempts)
                {
                    throw;
                }
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
