using System.Collections.Concurrent;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Fakes;

/// <summary>An in-memory Slack state table with real ETag semantics: insert-if-absent, replace-if-unchanged, serialised copies.</summary>
public sealed class InMemorySlackThreadStore : ISlackThreadStore
{
    private readonly ConcurrentDictionary<(string, string), (string Json, string ETag)> _rows = new();
    private int _version;

    public int Writes;

    public int Transactions;

    private readonly object _transaction = new();

    public int Reads;

    /// <summary>Runs once before the next single-row write of a row with this row key (to interleave another writer there).</summary>
    public (string Row, Func<Task> Action)? BeforeWrite { get; set; }

    public Task<Stored<T>?> GetAsync<T>(SlackRow<T> row, CancellationToken cancellationToken)
        where T : class
    {
        Interlocked.Increment(ref Reads);
        return Task.FromResult(_rows.TryGetValue((row.Partition, row.Row), out var r) ? new Stored<T>(BridgeJson.Deserialize<T>(r.Json), r.ETag) : null);
    }

    /// <summary>Single-row writes, transactions and reads so far.</summary>
    public int Operations => Reads + Writes + Transactions;

    public async Task<string> WriteAsync<T>(SlackRow<T> row, T value, string? etag, CancellationToken cancellationToken)
        where T : class
    {
        if (BeforeWrite is { } hook && hook.Row == row.Row)
        {
            BeforeWrite = null;
            await hook.Action();
        }
        return Write(row, value, etag);
    }

    private string Write<T>(SlackRow<T> row, T value, string? etag)
        where T : class
    {
        var key = (row.Partition, row.Row);
        var next = "W/\"" + Interlocked.Increment(ref _version) + "\"";
        var json = BridgeJson.Serialize(value);
        bool ok;
        lock (_transaction)
        {
            ok = etag is null
                ? _rows.TryAdd(key, (json, next))
                : _rows.TryGetValue(key, out var current) && current.ETag == etag && _rows.TryUpdate(key, (json, next), current);
        }
        if (!ok)
        {
            throw new ConcurrencyConflictException($"Row {row.Partition}/{row.Row} changed since it was read.");
        }
        Interlocked.Increment(ref Writes);
        return next;
    }

    public Task<IReadOnlyList<string>> WriteTogetherAsync(IReadOnlyList<SlackRowWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 0 || writes.Any(w => w.Partition != writes[0].Partition))
        {
            throw new ArgumentException("A transaction writes one or more rows of one partition.", nameof(writes));
        }
        lock (_transaction)
        {
            foreach (var w in writes)
            {
                var exists = _rows.TryGetValue((w.Partition, w.Row), out var current);
                if (w.ETag is null ? exists : !exists || current.ETag != w.ETag)
                {
                    throw new ConcurrencyConflictException($"Row {w.Partition}/{w.Row} changed since it was read.");
                }
            }
            var etags = new List<string>();
            foreach (var w in writes)
            {
                var next = "W/\"" + Interlocked.Increment(ref _version) + "\"";
                _rows[(w.Partition, w.Row)] = (w.Json, next);
                etags.Add(next);
            }
            Interlocked.Increment(ref Transactions);
            return Task.FromResult<IReadOnlyList<string>>(etags);
        }
    }

    public SlackThread? Thread(string leadId) =>
        _rows.TryGetValue((leadId, "thread"), out var r) ? BridgeJson.Deserialize<SlackThread>(r.Json) : null;

    /// <summary>Shows <paramref name="requestIds"/> (the first leads) in an approvers' message, as the notifier would have.</summary>
    public async Task ShowAsync(string channel, string ts, params string[] requestIds)
    {
        var thread = SlackThread.Start(requestIds[0], "test", DateTimeOffset.UnixEpoch) with { MemberIds = requestIds, ApproverMessage = new SlackMessageRef(channel, ts) };
        await WriteAsync(SlackRows.Thread(requestIds[0]), thread, null, default);
        foreach (var id in requestIds)
        {
            await WriteAsync(SlackRows.Member(id), new ThreadMembership(requestIds[0]), null, default);
        }
    }
}
