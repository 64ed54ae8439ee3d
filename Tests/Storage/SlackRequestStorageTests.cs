using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

/// <summary>A request asked for in Slack round-trips through Table Storage with its origin and its Slack requester.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SlackRequestStorageTests(AzuriteFixture azurite)
{
    public static ChangeRequest Sample(string id) => ChangeRequest.OpenFromSlack(id, TestData.Account, TestData.Region, TestData.GroupId, "web", "vpc-0abc",
        TestData.Tcp(443, "10.0.0.0/8", "agents"),
        new Requester(PrincipalType.SlackUser, null, null, "slack:T1:U1", "alice", null, null, null, "Slack /sgbridge", null) { SlackUserId = "U1" },
        new SlackOrigin("U1", "alice", "alice@example.com", "T1", "V1", TimeSpan.FromHours(8), "CHG-1"), new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AddOrGet_SlackRequest_RoundTripsItsOrigin()
    {
        var store = new TableRequestStore(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            RequestsTable = azurite.UniqueTableName("slackreq"),
        }));
        var request = Sample("SG-SLACK001");
        await store.AddOrGetAsync(request, default);
        var read = (await store.GetAsync(request.Id, default))!.Value;
        Assert.Equal(BridgeJson.Serialize(request), BridgeJson.Serialize(read));
        Assert.Equal(request.Slack, read.Slack);
        Assert.Equal(("U1", PrincipalType.SlackUser), (read.Requester.SlackUserId, read.Requester.Type));
        Assert.DoesNotContain(nameof(ChangeRequest.Slack), StorageSamples.UnsetProperties(read));
    }
}
