using System.Collections.Concurrent;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Rows of the Slack state table (batch pointers and threads) as this instance last wrote or read them, with their
/// ETags: hints that save the point read before a conditional write. A hint is only ever used to choose a write and as
/// its condition (a debounced render starts from it, and records with its ETag), so a stale one (another instance wrote
/// since) costs a refused write and the read it saved — for a render, a second render — never a wrong row; every
/// refused write forgets the partition's hints. Bounded: past <see cref="MaxRows"/> it starts afresh.
/// </summary>
internal sealed class SlackRowHints
{
    public const int MaxRows = 4096;

    private readonly ConcurrentDictionary<(string Partition, string Row), object> _rows = new();

    public Stored<T>? Get<T>(SlackRow<T> row)
        where T : class =>
        _rows.TryGetValue((row.Partition, row.Row), out var value) ? value as Stored<T> : null;

    public void Set<T>(SlackRow<T> row, Stored<T>? stored)
        where T : class
    {
        if (stored is null)
        {
            _rows.TryRemove((row.Partition, row.Row), out _);
            return;
        }
        if (_rows.Count >= MaxRows)
        {
            _rows.Clear();
        }
        _rows[(row.Partition, row.Row)] = stored;
    }

    /// <summary>Forgets every hint of <paramref name="partition"/> (a write there was refused).</summary>
    public void Forget(string partition)
    {
        foreach (var key in _rows.Keys)
        {
            if (key.Partition == partition)
            {
                _rows.TryRemove(key, out _);
            }
        }
    }
}
