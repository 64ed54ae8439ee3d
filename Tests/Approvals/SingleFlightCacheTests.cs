using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;

namespace SgBridge.Tests.Approvals;

public class SingleFlightCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task GetAsync_FiftyConcurrentCallers_ShareOneLookup()
    {
        var cache = new SingleFlightCache<string, string?>(TimeSpan.FromMinutes(5), _time, StringComparer.Ordinal);
        var gate = new TaskCompletionSource();
        var calls = 0;
        async Task<string?> Lookup(CancellationToken ct)
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            return "U1";
        }

        var all = Enumerable.Range(0, 50).Select(_ => cache.GetAsync("alice@example.com", Lookup, default)).ToList();
        gate.SetResult();

        Assert.All(await Task.WhenAll(all), v => Assert.Equal("U1", v));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task GetAsync_AfterTheTtl_LooksUpAgain()
    {
        var cache = new SingleFlightCache<string, int>(TimeSpan.FromMinutes(5), _time, StringComparer.Ordinal);
        var calls = 0;
        Task<int> Lookup(CancellationToken ct) => Task.FromResult(Interlocked.Increment(ref calls));

        Assert.Equal(1, await cache.GetAsync("k", Lookup, default));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(1, await cache.GetAsync("k", Lookup, default));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, await cache.GetAsync("k", Lookup, default));
    }

    [Fact]
    public async Task GetAsync_AFailure_IsNotCached()
    {
        var cache = new SingleFlightCache<string, int>(TimeSpan.FromMinutes(5), _time, StringComparer.Ordinal);
        var calls = 0;
        Task<int> Lookup(CancellationToken ct) => ++calls == 1 ? Task.FromException<int>(new HttpRequestException("down")) : Task.FromResult(7);

        await Assert.ThrowsAsync<HttpRequestException>(() => cache.GetAsync("k", Lookup, default));
        Assert.Equal(7, await cache.GetAsync("k", Lookup, default));
    }

    [Fact]
    public async Task GetAsync_ACallerThatStopsWaiting_DoesNotCancelTheSharedLookup()
    {
        var cache = new SingleFlightCache<string, int>(TimeSpan.FromMinutes(5), _time, StringComparer.Ordinal);
        var gate = new TaskCompletionSource<int>();
        using var cts = new CancellationTokenSource();
        var impatient = cache.GetAsync("k", _ => gate.Task, cts.Token);
        var patient = cache.GetAsync("k", _ => gate.Task, default);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        gate.SetResult(3);
        Assert.Equal(3, await patient);
    }

    [Fact]
    public async Task GetAsync_PerValueExpiry_KeepsEachValueUntilItsOwnExpiry()
    {
        var cache = new SingleFlightCache<string, DateTimeOffset>(until => until, _time, StringComparer.Ordinal);
        var calls = 0;
        Task<DateTimeOffset> Lookup(CancellationToken ct) => Task.FromResult(_time.GetUtcNow() + TimeSpan.FromMinutes(++calls));

        var first = await cache.GetAsync("k", Lookup, default); // valid for 1 minute
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, await cache.GetAsync("k", Lookup, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await cache.GetAsync("k", Lookup, default); // expired: looked up again, now valid for 2 minutes
        Assert.NotEqual(first, second);
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(second, await cache.GetAsync("k", Lookup, default));
        Assert.Equal(2, calls);
    }
}
