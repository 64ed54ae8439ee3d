using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

/// <summary>Time-bound access on the real request table: an ended extension keeps every field through Azurite.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableRequestStoreAccessTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AddOrGet_EndedExtension_RoundTripsTheAccessFields()
    {
        var store = new TableRequestStore(azurite.CreateTableServiceClient(),
            Microsoft.Extensions.Options.Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, RequestsTable = azurite.UniqueTableName("access") }));
        var request = StorageSamples.EndedExtension("SG-EXTEND01");

        await store.AddOrGetAsync(request, CancellationToken.None);
        var read = (await store.GetAsync(request.Id, CancellationToken.None))!.Value;

        Assert.Equal(BridgeJson.Serialize(request), BridgeJson.Serialize(read));
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Revoked, "U0ALICE", "SG-ORIGIN01", TimeSpan.FromDays(7)),
            (read.Status, read.AccessEndReason, read.AccessEndedBy, read.ExtendsRequestId, read.ApprovedFor!.Value));
    }
}
