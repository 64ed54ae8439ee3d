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
}
