using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Fakes;

/// <summary>An in-memory request store with real ETag semantics (serialised copies, version check on update).</summary>
public sealed class InMemoryRequestStore : IRequestStore, IEffectsIndex, IPendingRequestsIndex
{
    /// <summary>The effects index as the table store keeps it: request id → (due, version), changed with the request row.</summary>
    private readonly ConcurrentDictionary<string, (DateTimeOffset Due, string ETag)> _due = new();

    private readonly ConcurrentDictionary<string, (string Json, string ETag)> _rows = new();
    private int _version;

    public int Writes;

    /// <summary>Set to make every call fail as an unreachable Table Storage would.</summary>
    public Exception? Down { get; set; }

    public int Reads;

    public Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            return Task.FromException<Stored<ChangeRequest>?>(down);
        }
        Interlocked.Increment(ref Reads);
        return Task.FromResult(_rows.TryGetValue(requestId, out var row) ? new Stored<ChangeRequest>(BridgeJson.Deserialize<ChangeRequest>(row.Json), row.ETag) : null);
    }

    public Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            return Task.FromException<(Stored<ChangeRequest>, bool)>(down);
        }
        var etag = NextETag();
        var row = _rows.GetOrAdd(request.Id, _ => (BridgeJson.Serialize(request), etag));
        var created = row.ETag == etag;
        if (created)
        {
            Interlocked.Increment(ref Writes);
            Index(request, etag);
        }
        return Task.FromResult((new Stored<ChangeRequest>(BridgeJson.Deserialize<ChangeRequest>(row.Json), row.ETag), created));
    }

    public Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            return Task.FromException<string>(down);
        }
        var next = NextETag();
        var current = _rows[request.Id];
        if (current.ETag != etag || !_rows.TryUpdate(request.Id, (BridgeJson.Serialize(request), next), current))
        {
            throw new ConcurrencyConflictException($"Request {request.Id} changed since it was read.");
        }
        Interlocked.Increment(ref Writes);
        Index(request, next);
        return Task.FromResult(next);
    }

    /// <summary>Each write that raised a render of the request (so Slack will be shown it), with the status written.</summary>
    public ConcurrentQueue<(string Id, RequestStatus Status)> Rendered { get; } = new();

    /// <summary>Every effect a write raised, in order: the request, the kind, the status written.</summary>
    public ConcurrentQueue<(string Id, EffectKind Kind, RequestStatus Status)> Raised { get; } = new();

    /// <summary>The requests whose apply an approval recorded (one entry per recorded apply: what the apply queue used to hold).</summary>
    public IReadOnlyList<string> AppliesRecorded => Raised.Where(r => r.Kind == EffectKind.Apply).Select(r => r.Id).ToList();

    private void Index(ChangeRequest request, string etag)
    {
        foreach (var e in request.Effects.Where(e => request.RaisedEffects.Contains(e.Id)))
        {
            Raised.Enqueue((request.Id, e.Kind, request.Status));
        }
        if (request.Effects.Any(e => e.Kind == EffectKind.Render && request.RaisedEffects.Contains(e.Id)))
        {
            Rendered.Enqueue((request.Id, request.Status));
        }
        switch (request.IndexChange)
        {
            case EffectsIndexChange.Write:
                _due[request.Id] = (request.EffectsDueSince!.Value, etag);
                break;
            case EffectsIndexChange.Delete:
                _due.TryRemove(request.Id, out _);
                break;
        }
    }

    /// <summary>The effects index: request ids with effects pending.</summary>
    public IReadOnlyCollection<string> Indexed => _due.Keys.ToArray();

    public async IAsyncEnumerable<EffectsDue> ListEffectsDueAsync(DateTimeOffset dueBy, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            throw down;
        }
        await Task.Yield();
        foreach (var (id, (due, etag)) in _due.Where(d => d.Value.Due <= dueBy).OrderBy(d => d.Value.Due).Take(max))
        {
            yield return new EffectsDue(id, due, etag);
        }
    }

    public Task<bool> PostponeEffectsAsync(EffectsDue entry, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            return Task.FromException<bool>(down);
        }
        var next = NextETag();
        return Task.FromResult(_due.TryGetValue(entry.RequestId, out var current) && current.ETag == entry.ETag
            && _due.TryUpdate(entry.RequestId, (until, next), current));
    }

    /// <summary>The pending index as the table store keeps it: derived from the stored rows' state.</summary>
    public async IAsyncEnumerable<string> ListPendingCreatedByAsync(DateTimeOffset createdBy, int max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            throw down;
        }
        await Task.Yield();
        foreach (var r in All.Where(r => r.IndexEntries.PendingSince <= createdBy).OrderBy(r => r.CreatedAt).Take(max))
        {
            yield return r.Id;
        }
    }

    public IReadOnlyList<ChangeRequest> All => _rows.Values.Select(r => BridgeJson.Deserialize<ChangeRequest>(r.Json)).ToList();

    private string NextETag() => "W/\"" + Interlocked.Increment(ref _version) + "\"";
}

/// <summary>Approved states and leases in memory, with real ETag semantics (serialised copies, version check on write).</summary>
public sealed class InMemoryGroupStateStore : IGroupStateStore
{
    private readonly ConcurrentDictionary<string, (string Json, string ETag)> _rows = new();
    private readonly ConcurrentDictionary<string, GroupLease> _leases = new();
    private readonly object _leaseGate = new();
    private int _version;

    public int LeaseContentions;

    /// <summary>Set to make reads, writes and leases fail as an unreachable Table Storage would.</summary>
    public Exception? Down { get; set; }

    private static string Key(string a, string r, string g) => $"{a}|{r}|{g}";

    public Task<Stored<ApprovedGroup>?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken) => Down is { } down ? Task.FromException<Stored<ApprovedGroup>?>(down) :
        Task.FromResult(_rows.TryGetValue(Key(accountId, region, groupId), out var row) ? new Stored<ApprovedGroup>(BridgeJson.Deserialize<ApprovedGroup>(row.Json), row.ETag) : null);

    public Task<(Stored<ApprovedGroup> Group, bool Created)> AddOrGetAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        var etag = NextETag();
        var row = _rows.GetOrAdd(Key(group.AccountId, group.Region, group.GroupId), _ => (BridgeJson.Serialize(group), etag));
        return Task.FromResult((new Stored<ApprovedGroup>(BridgeJson.Deserialize<ApprovedGroup>(row.Json), row.ETag), row.ETag == etag));
    }

    public Task<string> ReplaceAsync(ApprovedGroup group, string etag, CancellationToken cancellationToken)
    {
        var key = Key(group.AccountId, group.Region, group.GroupId);
        var next = NextETag();
        if (!_rows.TryGetValue(key, out var current) || current.ETag != etag || !_rows.TryUpdate(key, (BridgeJson.Serialize(group), next), current))
        {
            throw new ConcurrencyConflictException($"The approved state of {group.GroupId} changed since it was read.");
        }
        return Task.FromResult(next);
    }

    public Task UpsertAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        _rows[Key(group.AccountId, group.Region, group.GroupId)] = (BridgeJson.Serialize(group), NextETag());
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ApprovedGroup> ListAsync(string accountId, string region, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var (key, row) in _rows)
        {
            if (key.StartsWith($"{accountId}|{region}|", StringComparison.Ordinal))
            {
                yield return BridgeJson.Deserialize<ApprovedGroup>(row.Json);
            }
        }
    }

    public Task<GroupLease?> TryAcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (Down is { } down)
        {
            return Task.FromException<GroupLease?>(down);
        }
        lock (_leaseGate)
        {
            var key = Key(accountId, region, groupId);
            if (_leases.TryGetValue(key, out var held) && held.Owner != owner && held.ExpiresAt > now)
            {
                LeaseContentions++;
                return Task.FromResult<GroupLease?>(null);
            }
            var lease = new GroupLease(accountId, region, groupId, owner, now + duration, NextETag());
            _leases[key] = lease;
            return Task.FromResult<GroupLease?>(lease);
        }
    }

    public Task ReleaseLeaseAsync(GroupLease lease, CancellationToken cancellationToken)
    {
        lock (_leaseGate)
        {
            var key = Key(lease.AccountId, lease.Region, lease.GroupId);
            if (_leases.TryGetValue(key, out var held) && held.ETag == lease.ETag)
            {
                _leases.TryRemove(key, out _);
            }
        }
        return Task.CompletedTask;
    }

    private string NextETag() => "W/\"" + Interlocked.Increment(ref _version) + "\"";
}

/// <summary>Records what was queued, as the JSON the real sender would send.</summary>
public sealed class RecordingQueue : IQueueSender
{
    public ConcurrentQueue<(string Queue, string Json)> Sent { get; } = new();

    public Exception? FailWith { get; set; }

    public ConcurrentQueue<(string Queue, string Json, TimeSpan Delay)> Delayed { get; } = new();

    /// <summary>A fault on one queue (see <see cref="QueueFault"/>): the send throws, hangs, or goes in and the answer is lost.</summary>
    public QueueFault? Fault { get; set; }

    public async Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken)
    {
        if (FailWith is not null)
        {
            throw FailWith;
        }
        if (Fault is not null)
        {
            await Fault.BeforeAsync(queueName, cancellationToken);
        }
        Sent.Enqueue((queueName, BridgeJson.Serialize(message)));
        Fault?.After(queueName);
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

/// <summary>What Slack will be shown: each write of a request that raised its render effect (id, status written).</summary>
public sealed class RecordingNotifier(InMemoryRequestStore requests)
{
    public System.Collections.Concurrent.ConcurrentQueue<(string Id, RequestStatus Status)> Seen => requests.Rendered;
}
