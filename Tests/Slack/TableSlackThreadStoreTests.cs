using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Slack;

/// <summary>The Slack state table on Azurite: point reads, insert-if-absent, ETag-conditional replace, and the update primitive under contention.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableSlackThreadStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly StorageOptions _options = new()
    {
        ConnectionString = azurite.ConnectionString,
        RequestsTable = azurite.UniqueTableName("req"),
        SlackTable = azurite.UniqueTableName("slack"),
    };

    private TableSlackThreadStore Store() => new(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(_options));

    [Fact]
    public async Task Write_ThenGet_RoundTripsTheThread()
    {
        var store = Store();
        var thread = SlackThread.Start("home-t", "SG-LEAD0001", "key", T) with
        {
            MemberIds = ["SG-LEAD0001", "SG-MEMB0002"],
            ApproverMessage = new SlackMessageRef("CAPPROVERS", "1.1"),
            MonitoringMessage = new SlackMessageRef("CMONITOR", "1.2"),
            RenderScheduledFor = T.AddSeconds(3),
        };
        thread = thread.WithNotified("SG-MEMB0002", [RequestStatus.Approved]);

        var etag = await store.WriteAsync(SlackRows.Thread("home-t", thread.LeadId), thread, null, default);
        var read = await store.GetAsync(SlackRows.Thread("home-t", thread.LeadId), default);

        Assert.Equal(etag, read!.ETag);
        Assert.Equal(BridgeJson.Serialize(thread), BridgeJson.Serialize(read.Value));
        Assert.Equal([RequestStatus.Approved], read.Value.NotifiedOf("SG-MEMB0002"));
        Assert.Null(await store.GetAsync(SlackRows.Thread("home-t", "SG-NONE0000"), default));
    }

    [Fact]
    public async Task Write_InsertOverAnExistingRow_OrWithAStaleETag_Conflicts()
    {
        var store = Store();
        var row = new SlackRow<OpenBatch>("home-t", "open-policed");
        var first = await store.WriteAsync(row, new OpenBatch("SG-AAAAAAAA", T), null, default);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteAsync(row, new OpenBatch("SG-BBBBBBBB", T), null, default));
        var second = await store.WriteAsync(row, new OpenBatch("SG-CCCCCCCC", T), first, default);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteAsync(row, new OpenBatch("SG-DDDDDDDD", T), first, default));
        Assert.Equal(("SG-CCCCCCCC", second), ((await store.GetAsync(row, default))!.Value.LeadId, (await store.GetAsync(row, default))!.ETag));
    }

    [Fact]
    public async Task UpdateAsync_ConcurrentJoins_AllLandOnce()
    {
        var store = Store();
        await store.WriteAsync(SlackRows.Thread("home-t", "SG-LEAD0001"), SlackThread.Start("home-t", "SG-LEAD0001", "key", T), null, default);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            store.UpdateAsync(SlackRows.Thread("home-t", "SG-LEAD0001"), t => t!.MemberIds.Contains($"SG-M{i:D7}") ? null : t with { MemberIds = [.. t.MemberIds, $"SG-M{i:D7}"] }, default))));

        var members = (await store.GetAsync(SlackRows.Thread("home-t", "SG-LEAD0001"), default))!.Value.MemberIds;
        Assert.Equal(7, members.Count);
        Assert.Equal(7, members.Distinct().Count());
    }

    [Fact]
    public async Task RequestRows_NoLongerCarryBatchColumns()
    {
        var requests = new TableRequestStore(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(_options));
        var r = ChangeRequest.Open("SG-COLS0001", TestData.Change(ChangeKind.Add) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] }, T);
        await requests.AddOrGetAsync(r, default);
        var entity = (await azurite.CreateTableServiceClient().GetTableClient(_options.RequestsTable)
            .GetEntityAsync<Azure.Data.Tables.TableEntity>(TableRequestStore.PartitionOf(r.Id), r.Id)).Value;
        Assert.DoesNotContain("BatchKey", entity.Keys);
        Assert.DoesNotContain("IsBatchLead", entity.Keys);
        Assert.DoesNotContain("approverMessage", (string)entity["Json"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteTogether_InsertsRowsOfOnePartitionAtomically_AndAConflictWritesNothing()
    {
        var store = Store();
        var thread = SlackThread.Start("home-t", "SG-LEAD0009", "key", T);
        var etags = await store.WriteTogetherAsync(
            [SlackRowWrite.Of(SlackRows.Thread("home-t", "SG-LEAD0009"), thread, null), SlackRowWrite.Of(SlackRows.Member("home-t", "SG-LEAD0009"), new ThreadMembership("SG-LEAD0009"), null)], default);

        Assert.Equal(etags[0], (await store.GetAsync(SlackRows.Thread("home-t", "SG-LEAD0009"), default))!.ETag);
        Assert.Equal(etags[1], (await store.GetAsync(SlackRows.Member("home-t", "SG-LEAD0009"), default))!.ETag);

        // A second start of the same batch (a redelivery) conflicts on the existing thread row, and the new votes row
        // in the same transaction is not written either.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteTogetherAsync(
            [SlackRowWrite.Of(new SlackRow<ApprovalVotes>("home-t", "votes-x"), new ApprovalVotes(["UA"]), null), SlackRowWrite.Of(SlackRows.Thread("home-t", "SG-LEAD0009"), thread, null)], default));
        Assert.Null(await store.GetAsync(new SlackRow<ApprovalVotes>("home-t", "votes-x"), default));

        // Replace with the ETag read: written; with a stale one: conflict, nothing written.
        var moved = await store.WriteTogetherAsync([SlackRowWrite.Of(SlackRows.Member("home-t", "SG-LEAD0009"), new ThreadMembership("SG-OTHER001"), etags[1])], default);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteTogetherAsync(
            [SlackRowWrite.Of(SlackRows.Member("home-t", "SG-LEAD0009"), new ThreadMembership("SG-STALE001"), etags[1])], default));
        Assert.Equal(("SG-OTHER001", moved[0]), ((await store.GetAsync(SlackRows.Member("home-t", "SG-LEAD0009"), default))!.Value.LeadId, (await store.GetAsync(SlackRows.Member("home-t", "SG-LEAD0009"), default))!.ETag));
    }

    [Fact]
    public async Task WriteTogether_HomeBatchStart_AfterThePointerMoved_WritesNeitherThreadNorMembership()
    {
        var store = Store();
        var a = ChangeRequest.Open("SG-HOMEA001", TestData.Change(ChangeKind.Add, eventId: "evt-home-a"), T);
        var b = ChangeRequest.Open("SG-HOMEB001", TestData.Change(ChangeKind.Add, eventId: "evt-home-b"), T);
        var home = SlackRows.HomeOf(a);
        Assert.Equal(home, SlackRows.HomeOf(b));
        IReadOnlyList<SlackRowWrite> Start(ChangeRequest r, string? pointerETag) =>
        [
            SlackRowWrite.Of(SlackRows.Open(r), new OpenBatch(r.Id, T), pointerETag),
            SlackRowWrite.Of(SlackRows.Thread(home, r.Id), SlackThread.Start(home, r.Id, SlackRows.BatchKey(r), T), null),
            SlackRowWrite.Of(SlackRows.Member(home, r.Id), new ThreadMembership(r.Id), null),
        ];
        var first = await store.WriteTogetherAsync(Start(a, null), default);
        var replaced = await store.WriteTogetherAsync(Start(b, first[0]), default); // a later batch replaces the pointer with its ETag

        // A third start still holding the first pointer ETag (or none: an insert) loses, and writes nothing.
        var c = ChangeRequest.Open("SG-HOMEC001", TestData.Change(ChangeKind.Add, eventId: "evt-home-c"), T);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteTogetherAsync(Start(c, first[0]), default));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.WriteTogetherAsync(Start(c, null), default));
        Assert.Null(await store.GetAsync(SlackRows.Thread(home, c.Id), default));
        Assert.Null(await store.GetAsync(SlackRows.Member(home, c.Id), default));
        Assert.Equal((b.Id, replaced[0]), ((await store.GetAsync(SlackRows.Open(a), default))!.Value.LeadId, (await store.GetAsync(SlackRows.Open(a), default))!.ETag));
    }

    [Fact]
    public async Task WriteTogether_RowsOfTwoPartitions_AreRefusedNamingTheArgument()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Store().WriteTogetherAsync(
            [SlackRowWrite.Of(SlackRows.Member("home-a", "SG-A0000001"), new ThreadMembership("SG-A0000001"), null), SlackRowWrite.Of(SlackRows.Member("home-b", "SG-B0000002"), new ThreadMembership("SG-A0000001"), null)], default));
        Assert.Equal("writes", ex.ParamName);
    }
}
