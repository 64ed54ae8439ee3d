using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Storage;

/// <summary>The one conditional-update primitive: re-read and re-apply on a conflict, bounded; no write when the change says so.</summary>
public class RequestUpdatesTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A store where another writer slips in before each of the first <c>losses</c> writes.</summary>
    private sealed class RacingStore(InMemoryRequestStore inner, int losses) : IRequestStore
    {
        public int Replaces;

        public Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken ct) => inner.GetAsync(requestId, ct);

        public Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken ct) => inner.AddOrGetAsync(request, ct);

        public async Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken ct)
        {
            if (Interlocked.Increment(ref Replaces) <= losses)
            {
                var other = (await inner.GetAsync(request.Id, ct))!;
                await inner.ReplaceAsync(other.Value, other.ETag, ct); // someone else wrote meanwhile
            }
            return await inner.ReplaceAsync(request, etag, ct);
        }

    }

    private static async Task<(InMemoryRequestStore, string)> PendingAsync()
    {
        var store = new InMemoryRequestStore();
        var r = ChangeRequest.Open("SG-00000001", TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] }, T);
        r.MarkReverted(new CallOutcome("revoke", true), T);
        await store.AddOrGetAsync(r, default);
        return (store, r.Id);
    }

    [Fact]
    public async Task UpdateAsync_ReappliesTheChange_AfterLostRaces()
    {
        var (inner, id) = await PendingAsync();
        var store = new RacingStore(inner, losses: 3);
        var applied = 0;
        var update = await store.UpdateAsync(id, r => { applied++; r.Approve("U1", "ann", T); return true; }, default);
        Assert.NotNull(update);
        Assert.True(update.Written);
        Assert.True(update.StatusChanged);
        Assert.Equal(4, applied);
        Assert.Equal(RequestStatus.Approved, (await inner.GetAsync(id, default))!.Value.Status);
    }

    [Fact]
    public async Task UpdateAsync_GivesUp_AfterMaxAttempts()
    {
        var (inner, id) = await PendingAsync();
        var store = new RacingStore(inner, losses: ConditionalUpdate.MaxAttempts);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.UpdateAsync(id, r => { r.Approve("U1", null, T); return true; }, default));
        Assert.Equal(RequestStatus.Pending, (await inner.GetAsync(id, default))!.Value.Status);
        Assert.Equal(ConditionalUpdate.MaxAttempts, store.Replaces);
    }

    [Fact]
    public async Task UpdateAsync_WritesNothing_WhenTheChangeDeclines()
    {
        var (inner, id) = await PendingAsync();
        var writesBefore = inner.Writes;
        var update = await inner.UpdateAsync(id, _ => false, default);
        Assert.NotNull(update);
        Assert.False(update.Written);
        Assert.False(update.StatusChanged);
        Assert.Equal(writesBefore, inner.Writes);
    }

    [Fact]
    public async Task UpdateAsync_ReturnsNull_ForAnUnknownRequest() =>
        Assert.Null(await new InMemoryRequestStore().UpdateAsync("SG-FFFFFFFF", _ => true, default));
}
