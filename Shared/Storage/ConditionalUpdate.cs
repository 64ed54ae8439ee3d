namespace SgBridge.Shared.Storage;

/// <summary>
/// The one optimistic-concurrency loop of the bridge: read a row, apply a change to the domain object, write it with the
/// ETag it was read at, and on a conflict re-read and re-apply, at most <see cref="MaxAttempts"/> times.
/// </summary>
public static class ConditionalUpdate
{
    /// <summary>How many times a change is applied before a run of lost races gives up.</summary>
    public const int MaxAttempts = 8;

    /// <summary>
    /// Applies <paramref name="change"/> to <paramref name="stored"/> and writes it with <paramref name="replace"/>.
    /// <paramref name="change"/> returns false when there is nothing to write; it may run more than once, each time on a
    /// fresh copy. Returns the stored value and whether it was written.
    /// </summary>
    public static async Task<(Stored<T> Stored, bool Written)> RunAsync<T>(
        Stored<T> stored,
        Func<T, bool> change,
        Func<T, string, CancellationToken, Task<string>> replace,
        Func<CancellationToken, Task<Stored<T>?>> reread,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        for (var attempt = 1; ; attempt++)
        {
            if (!change(stored.Value))
            {
                return (stored, false);
            }
            try
            {
                var etag = await replace(stored.Value, stored.ETag, cancellationToken).ConfigureAwait(false);
                return (stored with { ETag = etag }, true);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                stored = await reread(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The row disappeared while it was being changed.");
            }
        }
    }
}
