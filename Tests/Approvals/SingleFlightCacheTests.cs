using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;

namespace SgBridge.Tests.Approvals;

public class SingleFlightCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task GetAsync_FiftyConcurrentCallers_ShareOneLookup()
    {
        var cache = new SingleFlightCache<string?>(TimeSpan.FromMinutes(5), _time);
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
        var cache = new SingleFlightCache<int>(TimeSpan.FromMinutes(5), _time);
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
        var cache = new SingleFlightCache<int>(TimeSpan.FromMinutes(5), _time);
        var calls = 0;
        Task<int> Lookup(CancellationToken ct) => ++calls == 1 ? Task.FromException<int>(new HttpRequestException("down")) : Task.FromResult(7);

        await Assert.ThrowsAsync<HttpRequestException>(() => cache.GetAsync("k", Lookup, default));
        Assert.Equal(7, await cache.GetAsync("k", Lookup, default));
    }

    [Fact]
    public async Task GetAsync_ACallerThatStopsWaiting_DoesNotCancelTheSharedLookup()
    {
        var cache = new SingleFlightCache<int>(TimeSpan.FromMinutes(5), _time);
        var gate = new TaskCompletionSource<int>();
        using var cts = new CancellationTokenSource();
        var impatient = cache.GetAsync("k", _ => gate.Task, cts.Token);
        var patient = cache.GetAsync("k", _ => gate.Task, default);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        gate.SetResult(3);
        Assert.Equal(3, await patient);
    }
}
