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

    /// <summary>Runs once before the next transaction (to interleave another writer between a read and the transaction).</summary>
    public Func<Task>? BeforeTransaction { get; set; }

    public async Task<IReadOnlyList<string>> WriteTogetherAsync(IReadOnlyList<SlackRowWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 0 || writes.Any(w => w.Partition != writes[0].Partition))
        {
            throw new ArgumentException("A transaction writes one or more rows of one partition.", nameof(writes));
        }
        if (BeforeTransaction is { } hook)
        {
            BeforeTransaction = null;
            await hook();
        }
        return Transact(writes);
    }

    private IReadOnlyList<string> Transact(IReadOnlyList<SlackRowWrite> writes)
    {
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
            return etags;
        }
    }

    /// <summary>The thread of batch <paramref name="leadId"/>, in its home partition.</summary>
    public SlackThread? Thread(string leadId) => Find<SlackThread>("thread-" + leadId);

    /// <summary>The membership of a request, in its home partition.</summary>
    public ThreadMembership? Membership(string requestId) => Find<ThreadMembership>("member-" + requestId);

    /// <summary>Every row key with its partition (to check which layout and partition rows went to).</summary>
    public IReadOnlyList<(string Partition, string Row)> Keys => _rows.Keys.ToList();

    private T? Find<T>(string homeRow)
        where T : class
    {
        var home = _rows.Where(r => r.Key.Item2 == homeRow).Select(r => r.Value.Json).ToList();
        if (home.Count > 1)
        {
            throw new InvalidOperationException($"Row {homeRow} is in {home.Count} partitions.");
        }
        return home.Count == 1 ? BridgeJson.Deserialize<T>(home[0]) : null;
    }

    /// <summary>Shows the stored requests <paramref name="requestIds"/> (the first leads) in an approvers' message, as the notifier writes it.</summary>
    public async Task ShowAsync(string channel, string ts, IRequestStore requests, params string[] requestIds)
    {
        var shown = new List<ChangeRequest>();
        foreach (var id in requestIds)
        {
            shown.Add((await requests.GetAsync(id, default))!.Value);
        }
        await ShowAtHomeAsync(channel, ts, [.. shown]);
    }

    /// <summary>Shows <paramref name="requests"/> (the first leads) in an approvers' message in their home partition, as the notifier writes it.</summary>
    public async Task ShowAtHomeAsync(string channel, string ts, params ChangeRequest[] requests)
    {
        var home = SlackRows.HomeOf(requests[0]);
        var lead = requests[0].Id;
        var thread = SlackThread.Start(home, lead, SlackRows.BatchKey(requests[0]), DateTimeOffset.UnixEpoch) with
        {
            MemberIds = requests.Select(r => r.Id).ToArray(), ApproverMessage = new SlackMessageRef(channel, ts),
        };
        await PutAsync(SlackRows.Thread(home, lead), thread);
        foreach (var r in requests)
        {
            await PutAsync(SlackRows.Member(home, r.Id), new ThreadMembership(lead));
        }
    }

    private async Task PutAsync<T>(SlackRow<T> row, T value)
        where T : class
    {
        await WriteAsync(row, value, (await GetAsync(row, default))?.ETag, default);
    }
}
