using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Storage;

/// <summary>
/// Storage:Retention on Azurite for batches in the home partition of their group and requester: an old final batch
/// leaves with its thread, memberships and pointer; a newer batch in the same partition keeps its rows and the pointer
/// that names it.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RequestRetentionHomeTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 4, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Old = Now - TimeSpan.FromDays(401);
    private readonly StorageOptions _options = new()
    {
        ConnectionString = azurite.ConnectionString,
        RequestsTable = azurite.UniqueTableName("req"),
        SlackTable = azurite.UniqueTableName("slack"),
    };

    private TableRequestStore Requests() => new(azurite.CreateTableServiceClient(), O.Create(_options));

    private TableSlackThreadStore Threads() => new(azurite.CreateTableServiceClient(), O.Create(_options));

    private async Task<ChangeRequest> StoredAsync(string id, DateTimeOffset at, bool deny)
    {
        var r = ChangeRequest.Open(id, TestData.Change(ChangeKind.Add, eventId: "evt-" + id), at);
        r.MarkReverted(new CallOutcome("revoke", true), at);
        if (deny)
        {
            r.Deny("UA", null, at);
        }
        await Requests().AddOrGetAsync(r, default);
        return r;
    }

    /// <summary>A batch as the notifier writes it: pointer + thread + memberships in one transaction of the home partition.</summary>
    private async Task ShownAtHomeAsync(params ChangeRequest[] batch)
    {
        var home = SlackRows.HomeOf(batch[0]);
        var open = await Threads().GetAsync(SlackRows.Open(batch[0]), default);
        var thread = SlackThread.Start(home, batch[0].Id, SlackRows.BatchKey(batch[0]), batch[0].CreatedAt) with { MemberIds = batch.Select(r => r.Id).ToArray() };
        await Threads().WriteTogetherAsync(
            [
                SlackRowWrite.Of(SlackRows.Open(batch[0]), new OpenBatch(batch[0].Id, batch[0].CreatedAt), open?.ETag),
                SlackRowWrite.Of(SlackRows.Thread(home, batch[0].Id), thread, null),
                .. batch.Select(r => SlackRowWrite.Of(SlackRows.Member(home, r.Id), new ThreadMembership(batch[0].Id), null)),
            ], default);
    }

    [Fact]
    public async Task Purge_OldHomeBatch_LeavesWithItsRows_TheNewerBatchInThePartitionStays()
    {
        var lead = await StoredAsync("SG-RETH0001", Old, deny: true);
        var member = await StoredAsync("SG-RETH0002", Old, deny: true);
        await ShownAtHomeAsync(lead, member);
        var retention = new RequestRetention(azurite.CreateTableServiceClient(), O.Create(_options), new FakeTimeProvider(Now), NullLogger<RequestRetention>.Instance);

        Assert.Equal(2, await retention.PurgeAsync(default));
        var home = SlackRows.HomeOf(lead);
        Assert.Null(await Threads().GetAsync(SlackRows.Thread(home, lead.Id), default));
        Assert.Null(await Threads().GetAsync(SlackRows.Member(home, lead.Id), default));
        Assert.Null(await Threads().GetAsync(SlackRows.Member(home, member.Id), default));
        Assert.Null(await Threads().GetAsync(SlackRows.Open(lead), default));

        // A newer batch of the same group and requester: its rows and its pointer stay, even when an old lead that the
        // pointer no longer names is purged after it.
        var oldLead = await StoredAsync("SG-RETH0003", Old, deny: true);
        await ShownAtHomeAsync(oldLead);
        var fresh = await StoredAsync("SG-RETH0004", Now, deny: false);
        await ShownAtHomeAsync(fresh);

        Assert.Equal(1, await retention.PurgeAsync(default));
        Assert.Null(await Threads().GetAsync(SlackRows.Thread(home, oldLead.Id), default));
        Assert.NotNull(await Threads().GetAsync(SlackRows.Thread(home, fresh.Id), default));
        Assert.NotNull(await Threads().GetAsync(SlackRows.Member(home, fresh.Id), default));
        Assert.Equal(fresh.Id, (await Threads().GetAsync(SlackRows.Open(fresh), default))!.Value.LeadId);
    }
}
