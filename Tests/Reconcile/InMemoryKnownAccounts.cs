using System.Collections.Concurrent;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Tests.Reconcile;

/// <summary>
/// A known-accounts store in memory for the scheduler's and worker's unit tests. The table store's own behaviour
/// (once-a-day warnings, clearing, forgetting) is tested on Azurite in <see cref="KnownAccountStoreTests"/>.
/// </summary>
public sealed class InMemoryKnownAccounts : IKnownAccountStore
{
    private readonly ConcurrentDictionary<string, KnownAccount> _accounts = new(StringComparer.Ordinal);

    public Task NoteAsync(string accountId, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        _accounts.TryAdd(accountId, new KnownAccount(accountId, now, source, null));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KnownAccount>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KnownAccount>>(_accounts.Values.ToArray());

    public Task<KnownAccount?> GetAsync(string accountId, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.TryGetValue(accountId, out var a) ? a : null);

    public Task<bool> RecordSkipAsync(string accountId, string region, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var current = _accounts.GetOrAdd(accountId, id => new KnownAccount(id, now, "skipped", null));
        var warned = current.Skip?.WarnedOn == today;
        var regions = (current.Skip?.Regions ?? []).Append(region).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        _accounts[accountId] = current with { Skip = new AccountSkip(reason, current.Skip?.Since ?? now, now, regions, today) };
        return Task.FromResult(!warned);
    }

    public Task ClearSkipAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_accounts.TryGetValue(accountId, out var a))
        {
            _accounts[accountId] = a with { Skip = null };
        }
        return Task.CompletedTask;
    }

    public Task<bool> ForgetAsync(string accountId, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.TryRemove(accountId, out _));
}
