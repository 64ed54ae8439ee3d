using System.Collections.Concurrent;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// The bridge's one cache: each value kept until the expiry given with it, one shared look-up per key in flight. A
/// failed look-up is not cached; a caller may stop waiting while the look-up completes for the others. Each value is
/// kept until <c>expiresAt</c> says, asked when it arrives.
/// </summary>
public sealed class SingleFlightCache<TKey, TValue>(Func<TValue, DateTimeOffset> expiresAt, TimeProvider time, IEqualityComparer<TKey> comparer)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new(comparer);

    /// <summary>Every value is kept for <paramref name="ttl"/> after it arrived.</summary>
    public SingleFlightCache(TimeSpan ttl, TimeProvider time, IEqualityComparer<TKey> comparer)
        : this(_ => time.GetUtcNow() + ttl, time, comparer)
    {
    }

    public async Task<TValue> GetAsync(TKey key, Func<CancellationToken, Task<TValue>> lookup, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = _entries.AddOrUpdate(key, _ => Start(lookup), (_, existing) => existing.Usable(now) ? existing : Start(lookup));
        try
        {
            return (await entry.Lookup.Value.WaitAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            throw;
        }
    }

    private Entry Start(Func<CancellationToken, Task<TValue>> lookup) => new(new Lazy<Task<(TValue, DateTimeOffset)>>(async () =>
    {
        var value = await lookup(CancellationToken.None).ConfigureAwait(false);
        return (value, expiresAt(value));
    }));

    private sealed record Entry(Lazy<Task<(TValue Value, DateTimeOffset Until)>> Lookup)
    {
        /// <summary>Still in flight, or arrived and not expired.</summary>
        public bool Usable(DateTimeOffset now) =>
            !Lookup.Value.IsCompleted || (Lookup.Value.IsCompletedSuccessfully && Lookup.Value.Result.Until > now);
    }
}
