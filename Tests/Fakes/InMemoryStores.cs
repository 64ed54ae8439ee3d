using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Fakes;

/// <summary>An in-memory request store with real ETag semantics (serialised copies, version check on update).</summary>
public sealed class InMemoryRequestStore : IRequestStore
{
    private readonly ConcurrentDictionary<string, (string Json, string ETag)> _rows = new();
    private int _version;

    public int Writes;

    public Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.TryGetValue(requestId, out var row) ? new Stored<ChangeRequest>(BridgeJson.Deserialize<ChangeRequest>(row.Json), row.ETag) : null);

    public Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        var etag = NextETag();
        var row = _rows.GetOrAdd(request.Id, _ => (BridgeJson.Serialize(request), etag));
        var created = row.ETag == etag;
        if (created)
        {
            Interlocked.Increment(ref Writes);
        }
        return Task.FromResult((new Stored<ChangeRequest>(BridgeJson.Deserialize<ChangeRequest>(row.Json), row.ETag), created));
    }

    public Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken cancellationToken)
    {
        var next = NextETag();
        var current = _rows[request.Id];
        if (current.ETag != etag || !_rows.TryUpdate(request.Id, (BridgeJson.Serialize(request), next), current))
        {
            throw new ConcurrencyConflictException($"Request {request.Id} changed since it was read.");
        }
        Interlocked.Increment(ref Writes);
        return Task.FromResult(next);
    }

    public async IAsyncEnumerable<ChangeRequest> ListAsync(RequestStatus? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var row in _rows.Values)
        {
            var r = BridgeJson.Deserialize<ChangeRequest>(row.Json);
            if (status is null || r.Status == status)
            {
                yield return r;
            }
        }
    }

    public IReadOnlyList<ChangeRequest> All => _rows.Values.Select(r => BridgeJson.Deserialize<ChangeRequest>(r.Json)).ToList();

    private string NextETag() => "W/\"" + Interlocked.Increment(ref _version) + "\"";
}

public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly ConcurrentDictionary<string, GroupSnapshot> _rows = new();

    public Task<GroupSnapshot?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.GetValueOrDefault($"{accountId}|{region}|{groupId}"));

    public Task SaveAsync(GroupSnapshot snapshot, CancellationToken cancellationToken)
    {
        _rows[$"{snapshot.AccountId}|{snapshot.Region}|{snapshot.GroupId}"] = snapshot;
        return Task.CompletedTask;
    }
}

/// <summary>Records what was queued, as the JSON the real sender would send.</summary>
public sealed class RecordingQueue : IQueueSender
{
    public ConcurrentQueue<(string Queue, string Json)> Sent { get; } = new();

    public Exception? FailWith { get; set; }

    public ConcurrentQueue<(string Queue, string Json, TimeSpan Delay)> Delayed { get; } = new();

    public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken)
    {
        if (FailWith is not null)
        {
            throw FailWith;
        }
        Sent.Enqueue((queueName, BridgeJson.Serialize(message)));
        return Task.CompletedTask;
    }

    public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken)
    {
        if (visibilityDelay <= TimeSpan.Zero)
        {
            return SendAsync(queueName, message, cancellationToken);
        }
        if (FailWith is not null)
        {
            throw FailWith;
        }
        Delayed.Enqueue((queueName, BridgeJson.Serialize(message), visibilityDelay));
        return Task.CompletedTask;
    }

    public IReadOnlyList<T> On<T>(string queue) => Sent.Where(s => s.Queue == queue).Select(s => BridgeJson.Deserialize<T>(s.Json)).ToList();
}

public sealed class RecordingNotifier : IRequestNotifier
{
    public ConcurrentQueue<(string Id, RequestStatus Status)> Seen { get; } = new();

    public Task RequestChangedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        Seen.Enqueue((request.Id, request.Status));
        return Task.CompletedTask;
    }
}
