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

    /// <summary>Single-row writes, transactions, reads and queries so far.</summary>
    public int Operations => Reads + Writes + Transactions + Queries;

    /// <summary>Membership queries (<see cref="MembersOfAsync"/>) so far: each is one query of one partition.</summary>
    public int Queries;

    /// <summary>Runs once before the next membership query (to interleave another writer between the thread read and the query).</summary>
    public Func<Task>? BeforeQuery { get; set; }

    public async Task<IReadOnlyList<ThreadMembership>> MembersOfAsync(string home, string leadId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(home);
        ArgumentException.ThrowIfNullOrWhiteSpace(leadId);
        if (BeforeQuery is { } hook)
        {
            BeforeQuery = null;
            await hook();
        }
        Interlocked.Increment(ref Queries);
        lock (_transaction)
        {
            return _rows.Where(r => r.Key.Item1 == home && r.Key.Item2.StartsWith("member-", StringComparison.Ordinal))
                .OrderBy(r => r.Key.Item2, StringComparer.Ordinal)
                .Select(r => BridgeJson.Deserialize<ThreadMembership>(r.Value.Json))
                .Where(m => m.LeadId == leadId)
                .ToList();
        }
    }

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

    /// <summary>The thread of batch <paramref name="leadId"/>, in whichever layout it was written (home partition or the previous one).</summary>
    public SlackThread? Thread(string leadId) => Find<SlackThread>("thread-" + leadId, (leadId, "thread"));

    /// <summary>The membership of a request, in whichever layout it was written.</summary>
    public ThreadMembership? Membership(string requestId) => Find<ThreadMembership>("member-" + requestId, (requestId, "member"));

    /// <summary>Every row key with its partition (to check which layout and partition rows went to).</summary>
    public IReadOnlyList<(string Partition, string Row)> Keys => _rows.Keys.ToList();

    private T? Find<T>(string homeRow, (string, string) previous)
        where T : class
    {
        var home = _rows.Where(r => r.Key.Item2 == homeRow).Select(r => r.Value.Json).ToList();
        if (home.Count > 1)
        {
            throw new InvalidOperationException($"Row {homeRow} is in {home.Count} partitions.");
        }
        return home.Count == 1 ? BridgeJson.Deserialize<T>(home[0])
            : _rows.TryGetValue(previous, out var r) ? BridgeJson.Deserialize<T>(r.Json) : null;
    }

    /// <summary>
    /// Shows <paramref name="requestIds"/> (the first leads) in an approvers' message as the <b>previous layout</b> wrote
    /// it (thread and memberships in each request's own partition): rows a deploy finds in flight.
    /// </summary>
    public async Task ShowAsync(string channel, string ts, params string[] requestIds)
    {
        var thread = SlackThread.Start(requestIds[0], "test", DateTimeOffset.UnixEpoch) with { MemberIds = requestIds, ApproverMessage = new SlackMessageRef(channel, ts) };
        await WriteAsync(SlackRows.Thread(requestIds[0]), thread, null, default);
        foreach (var id in requestIds)
        {
            await WriteAsync(SlackRows.Member(id), new ThreadMembership(requestIds[0]), null, default);
        }
    }

    /// <summary>Shows <paramref name="requests"/> (the first leads) in an approvers' message in their home partition, as the notifier writes it.</summary>
    public async Task ShowAtHomeAsync(string channel, string ts, params ChangeRequest[] requests)
    {
        var home = SlackRows.HomeOf(requests[0]);
        var lead = requests[0].Id;
        var thread = SlackThread.Start(lead, SlackRows.BatchKey(requests[0]), DateTimeOffset.UnixEpoch) with
        {
            Home = home, MemberIds = requests.Select(r => r.Id).ToArray(), ApproverMessage = new SlackMessageRef(channel, ts),
        };
        await WriteAsync(SlackRows.Thread(home, lead), thread, null, default);
        foreach (var r in requests)
        {
            await WriteAsync(SlackRows.Member(home, r.Id), new ThreadMembership(lead), null, default);
        }
    }
}
