using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SgBridge.Shared.Approvals;

namespace SgBridge.Tests.Fakes;

/// <summary>The expiry index in memory, keyed like the table (everything but Attempts); can be told to fail its writes.</summary>
public sealed class InMemoryAccessExpiryIndex : IAccessExpiryIndex
{
    private readonly ConcurrentDictionary<string, AccessExpiryEntry> _rows = new();

    public Exception? FailWrites { get; set; }

    public IReadOnlyList<AccessExpiryEntry> All => _rows.Values.OrderBy(e => e.DueAt).ToList();

    public Task AddAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        if (FailWrites is { } fail)
        {
            throw fail;
        }
        _rows[TableAccessExpiryIndex.RowKey(entry)] = entry;
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<AccessExpiryEntry> ListDueAsync(DateTimeOffset now, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var e in All.Where(e => e.DueAt <= now).Take(max))
        {
            yield return e;
        }
    }

    public async IAsyncEnumerable<AccessExpiryEntry> ListAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var e in All)
        {
            yield return e;
        }
    }

    public Task<AccessExpiryEntry?> FindAsync(AccessExpiryEntry entry, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.TryGetValue(TableAccessExpiryIndex.RowKey(entry), out var row) ? row : null);

    public Task RemoveAsync(AccessExpiryEntry entry, CancellationToken cancellationToken)
    {
        _rows.TryRemove(TableAccessExpiryIndex.RowKey(entry), out _);
        return Task.CompletedTask;
    }
}
