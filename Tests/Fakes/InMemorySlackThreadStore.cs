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

    public Task<Stored<T>?> GetAsync<T>(SlackRow<T> row, CancellationToken cancellationToken)
        where T : class =>
        Task.FromResult(_rows.TryGetValue((row.Partition, row.Row), out var r) ? new Stored<T>(BridgeJson.Deserialize<T>(r.Json), r.ETag) : null);

    public Task<string> WriteAsync<T>(SlackRow<T> row, T value, string? etag, CancellationToken cancellationToken)
        where T : class
    {
        var key = (row.Partition, row.Row);
        var next = "W/\"" + Interlocked.Increment(ref _version) + "\"";
        var json = BridgeJson.Serialize(value);
        var ok = etag is null
            ? _rows.TryAdd(key, (json, next))
            : _rows.TryGetValue(key, out var current) && current.ETag == etag && _rows.TryUpdate(key, (json, next), current);
        if (!ok)
        {
            throw new ConcurrencyConflictException($"Row {row.Partition}/{row.Row} changed since it was read.");
        }
        Interlocked.Increment(ref Writes);
        return Task.FromResult(next);
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
