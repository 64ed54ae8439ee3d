using Azure.Data.Tables;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableSnapshotStoreTests(AzuriteFixture azurite)
{
    private readonly string _tableName = azurite.UniqueTableName("snapshots");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));
    private CancellationToken Ct => _timeout.Token;

    private TableSnapshotStore CreateStore() =>
        new(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            SnapshotsTable = _tableName,
        }));

    [Fact]
    public async Task Save_ThenGet_RoundTripsSnapshot()
    {
        var store = CreateStore();
        var snapshot = StorageSamples.Snapshot();

        await store.SaveAsync(snapshot, Ct);
        var read = await store.GetAsync(snapshot.AccountId, snapshot.Region, snapshot.GroupId, Ct);

        Assert.NotNull(read);
        Assert.Equal(BridgeJson.Serialize(snapshot), BridgeJson.Serialize(read));
        Assert.Equal(snapshot.Rules, read.Rules);
        Assert.Equal(snapshot.TakenAt, read.TakenAt);
        Assert.Equal(snapshot.TakenAt.Offset, read.TakenAt.Offset);
    }

    [Fact]
    public async Task Save_UsesAccountPartitionAndRegionGroupRow()
    {
        var store = CreateStore();
        var snapshot = StorageSamples.Snapshot();

        await store.SaveAsync(snapshot, Ct);
        var row = (await azurite.CreateTableServiceClient().GetTableClient(_tableName)
            .GetEntityAsync<TableEntity>("111122223333", "eu-west-1|sg-0123456789abcdef0", cancellationToken: Ct)).Value;

        Assert.Equal("sg-0123456789abcdef0", row.GetString("GroupId"));
        Assert.Equal("vpc-0abc", row.GetString("VpcId"));
        Assert.Equal(3, row.GetInt32("RuleCount"));
    }

    [Fact]
    public async Task Save_Twice_ReplacesPreviousSnapshot()
    {
        var store = CreateStore();
        await store.SaveAsync(StorageSamples.Snapshot(ruleCount: 500), Ct);
        var smaller = StorageSamples.Snapshot(ruleCount: 1) with { TakenAt = StorageSamples.T0.AddHours(1), VpcId = null };

        await store.SaveAsync(smaller, Ct);
        var read = await store.GetAsync(smaller.AccountId, smaller.Region, smaller.GroupId, Ct);

        Assert.Equal(BridgeJson.Serialize(smaller), BridgeJson.Serialize(read));
    }

    [Fact]
    public async Task Save_FiveHundredRules_RoundTrips()
    {
        var store = CreateStore();
        var snapshot = StorageSamples.Snapshot(ruleCount: 500);
        Assert.True(BridgeJson.Serialize(snapshot).Length > TableJson.MaxInlineChars);

        await store.SaveAsync(snapshot, Ct);
        var read = await store.GetAsync(snapshot.AccountId, snapshot.Region, snapshot.GroupId, Ct);

        Assert.Equal(500, read!.Rules.Count);
        Assert.Equal(BridgeJson.Serialize(snapshot), BridgeJson.Serialize(read));
    }

    [Fact]
    public async Task Get_OtherRegionOrAccount_ReturnsNull()
    {
        var store = CreateStore();
        await store.SaveAsync(StorageSamples.Snapshot(), Ct);

        Assert.Null(await store.GetAsync("111122223333", "us-east-1", "sg-0123456789abcdef0", Ct));
        Assert.Null(await store.GetAsync("999999999999", "eu-west-1", "sg-0123456789abcdef0", Ct));
    }

    [Theory]
    [InlineData("eu-west-1", "sg-1|x")]
    [InlineData("eu/west", "sg-1")]
    [InlineData("eu-west-1", "sg#1")]
    public void Keys_WithCharactersTablesReject_Throw(string region, string groupId)
    {
        Assert.Throws<ArgumentException>(() => TableSnapshotStore.Keys("111122223333", region, groupId));
    }
}
