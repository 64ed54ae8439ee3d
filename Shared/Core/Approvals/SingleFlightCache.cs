using System.Collections.Concurrent;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Caches look-ups for a while and shares one in-flight look-up among concurrent callers, so a burst asks Slack once
/// per key, not once per change. A failed look-up is not cached.
/// </summary>
public sealed class SingleFlightCache<TValue>(TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    public async Task<TValue> GetAsync(string key, Func<CancellationToken, Task<TValue>> lookup, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = _entries.AddOrUpdate(
            key,
            _ => new Entry(new Lazy<Task<TValue>>(() => lookup(CancellationToken.None)), now + ttl),
            (_, existing) => existing.Until > now && !existing.Lookup.Value.IsFaulted && !existing.Lookup.Value.IsCanceled
                ? existing
                : new Entry(new Lazy<Task<TValue>>(() => lookup(CancellationToken.None)), now + ttl));
        try
        {
            // The shared look-up runs to completion for everyone; this caller may stop waiting for it.
            return await entry.Lookup.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            throw;
        }
    }

    private sealed record Entry(Lazy<Task<TValue>> Lookup, DateTimeOffset Until);
}
