using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Slack;

/// <summary>The batch's membership query on Azurite: one partition, the <c>member-</c> range, one batch, snapshots round-tripped.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableSlackThreadStoreMembersTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private TableSlackThreadStore Store() => new(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(new StorageOptions
    {
        ConnectionString = azurite.ConnectionString,
        RequestsTable = azurite.UniqueTableName("req"),
        SlackTable = azurite.UniqueTableName("slack"),
    }));

    private static ChangeRequest Request(int port)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(port, "0.0.0.0/0")] };
        return ChangeRequest.Open(RequestId.For(change.EventId), change, T);
    }

    [Fact]
    public async Task MembersOf_ReturnsTheBatchsMembershipsOnly_WithTheirSnapshots()
    {
        var store = Store();
        var (a, b, c, other) = (Request(22), Request(23), Request(24), Request(25));
        var home = SlackRows.HomeOf(a);
        var thread = SlackThread.Start(a.Id, SlackRows.BatchKey(a), T) with { Home = home, MemberIds = [a.Id, b.Id] };
        // The batch's rows as the notifier writes them: one transaction with the thread, the pointer and the membership…
        await store.WriteTogetherAsync(
        [
            SlackRowWrite.Of(SlackRows.Thread(home, a.Id), thread, null),
            SlackRowWrite.Of(SlackRows.Member(home, a.Id), new ThreadMembership(a.Id, a), null),
            SlackRowWrite.Of(SlackRows.Open(a), new OpenBatch(a.Id, T), null),
        ], default);
        // …a single-row write, a membership without a snapshot, another batch in the same partition, the same batch elsewhere.
        await store.WriteAsync(SlackRows.Member(home, b.Id), new ThreadMembership(a.Id, b), null, default);
        await store.WriteAsync(SlackRows.Member(home, c.Id), new ThreadMembership(a.Id), null, default);
        await store.WriteAsync(SlackRows.Member(home, other.Id), new ThreadMembership(other.Id, other), null, default);
        await store.WriteAsync(SlackRows.Member("home-elsewhere", "SG-X"), new ThreadMembership(a.Id, a), null, default);
        await store.WriteAsync(SlackRows.Member(a.Id), new ThreadMembership(a.Id), null, default); // previous layout

        var members = await store.MembersOfAsync(home, a.Id, default);

        Assert.Equal(3, members.Count);
        Assert.All(members, m => Assert.Equal(a.Id, m.LeadId));
        var snapshots = members.Where(m => m.Snapshot is not null).Select(m => m.Snapshot!).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { a, b }.OrderBy(r => r.Id, StringComparer.Ordinal).Select(BridgeJson.Serialize), snapshots.Select(BridgeJson.Serialize));
        Assert.Empty(await store.MembersOfAsync(home, "SG-NOBATCH0", default));
        Assert.Single(await store.MembersOfAsync(home, other.Id, default));
    }

    [Theory]
    [InlineData("", "SG-A")]
    [InlineData("home-x", " ")]
    public async Task MembersOf_WithoutAPartitionOrALead_NamesTheArgument(string home, string lead)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Store().MembersOfAsync(home, lead, default));
        Assert.Equal(home.Length == 0 ? "home" : "leadId", ex.ParamName);
    }
}
