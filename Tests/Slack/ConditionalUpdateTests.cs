using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>The bounded conditional-update primitive for the Slack rows.</summary>
public class ConditionalUpdateTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ApplyAsync_AbsentRow_Inserts_AndNullChangeWritesNothing()
    {
        var store = new InMemorySlackThreadStore();
        var created = await store.UpdateAsync(SlackRows.Member("home-t", "SG-AAAAAAAA"), m => m ?? new ThreadMembership("SG-LEAD0001"), default);
        var unchanged = await store.UpdateAsync(SlackRows.Member("home-t", "SG-AAAAAAAA"), m => m is null ? new ThreadMembership("SG-OTHER001") : null, default);
        Assert.True(created.Written);
        Assert.False(unchanged.Written);
        Assert.Equal("SG-LEAD0001", unchanged.Value!.LeadId);
        Assert.Equal(1, store.Writes);
    }

    [Fact]
    public async Task ApplyAsync_LosesARace_ReReadsAndReApplies()
    {
        var store = new InMemorySlackThreadStore();
        var row = SlackRows.Thread("home-t", "SG-LEAD0001");
        await store.WriteAsync(row, SlackThread.Start("home-t", "SG-LEAD0001", "k", T), null, default);
        var calls = 0;
        var result = await ConditionalUpdate.ApplyAsync(
            ct => store.GetAsync(row, ct),
            async (value, etag, ct) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    // Another writer gets in first.
                    var other = (await store.GetAsync(row, ct))!;
                    await store.WriteAsync(row, other.Value with { MemberIds = [.. other.Value.MemberIds, "SG-OTHER001"] }, other.ETag, ct);
                }
                return await store.WriteAsync(row, value, etag, ct);
            },
            t => t! with { MemberIds = [.. t.MemberIds, "SG-MINE0001"] },
            default);
        Assert.True(result.Written);
        Assert.Equal(["SG-LEAD0001", "SG-OTHER001", "SG-MINE0001"], store.Thread("SG-LEAD0001")!.MemberIds);
    }

    [Fact]
    public async Task ApplyAsync_AlwaysLosing_GivesUpAfterTheBound()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => ConditionalUpdate.ApplyAsync<ThreadMembership>(
            _ => Task.FromResult<Stored<ThreadMembership>?>(null),
            (_, _, _) => { attempts++; throw new ConcurrencyConflictException("lost"); },
            _ => new ThreadMembership("SG-LEAD0001"),
            default));
        Assert.Equal(ConditionalUpdate.MaxAttempts, attempts);
    }

    [Fact]
    public async Task RetryAsync_AConflictTheWinnerSettles_EndsWithItsResult_WithoutAnotherAttempt()
    {
        var attempts = new List<int>();
        var result = await ConditionalUpdate.RetryAsync<string>(
            n => { attempts.Add(n); throw new ConcurrencyConflictException("lost"); },
            _ => Task.FromResult<string?>("placed by the winner"));
        Assert.Equal("placed by the winner", result);
        Assert.Equal([1], attempts);
    }

    [Fact]
    public async Task RetryAsync_UnsettledConflicts_TryAgainWithTheNextNumber_UntilOneWrites()
    {
        var attempts = new List<int>();
        var result = await ConditionalUpdate.RetryAsync<string>(
            n =>
            {
                attempts.Add(n);
                return n < 3 ? throw new ConcurrencyConflictException("lost") : Task.FromResult("written");
            },
            _ => Task.FromResult<string?>(null));
        Assert.Equal("written", result);
        Assert.Equal([1, 2, 3], attempts);
    }

    [Fact]
    public async Task RetryAsync_AlwaysLosing_RethrowsTheConflictAfterTheBound()
    {
        var settled = 0;
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => ConditionalUpdate.RetryAsync<string>(
            n => throw new ConcurrencyConflictException($"lost {n}"),
            _ => { settled++; return Task.FromResult<string?>(null); }));
        Assert.Equal($"lost {ConditionalUpdate.MaxAttempts}", conflict.Message);
        Assert.Equal(ConditionalUpdate.MaxAttempts, settled);
    }
}
