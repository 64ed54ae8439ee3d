using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableRequestStoreTests(AzuriteFixture azurite)
{
    private readonly string _tableName = azurite.UniqueTableName("requests");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));
    private CancellationToken Ct => _timeout.Token;

    private TableRequestStore CreateStore() =>
        new(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            RequestsTable = _tableName,
        }));

    private async Task<TableEntity> ReadRawAsync(string id) =>
        (await azurite.CreateTableServiceClient().GetTableClient(_tableName)
            .GetEntityAsync<TableEntity>(TableRequestStore.PartitionOf(id), id, cancellationToken: Ct)).Value;

    [Fact]
    public void Sample_FillsEveryStoredProperty()
    {
        // A reverted change has no Slack origin (requests asked for in Slack: SlackRequestStorageTests); only an ended extension has the access fields.
        Assert.Equal(StorageSamples.EndedExtensionOnly.Append(nameof(ChangeRequest.ExemptReason)).Append(nameof(ChangeRequest.Slack)).Order(StringComparer.Ordinal),
            StorageSamples.UnsetProperties(StorageSamples.FullRequest("SG-SAMPLE01")).Order(StringComparer.Ordinal));
        Assert.Empty(StorageSamples.UnsetProperties(StorageSamples.EndedExtension("SG-SAMPLE03")).Intersect(StorageSamples.EndedExtensionOnly));
        Assert.DoesNotContain(nameof(ChangeRequest.ExemptReason), StorageSamples.UnsetProperties(StorageSamples.ExemptRequest("SG-SAMPLE02")));
    }

    [Fact]
    public async Task AddOrGet_FullRequest_RoundTripsEveryProperty()
    {
        var store = CreateStore();
        var request = StorageSamples.FullRequest("SG-FULL0001");

        var (added, created) = await store.AddOrGetAsync(request, Ct);
        var read = await store.GetAsync(request.Id, Ct);

        Assert.True(created);
        Assert.NotNull(read);
        Assert.Equal(added.ETag, read.ETag);
        Assert.Equal(BridgeJson.Serialize(request), BridgeJson.Serialize(read.Value));
        Assert.Equal(RequestStatus.Applied, read.Value.Status);
        Assert.Equal(request.Rules, read.Value.Rules);
        Assert.Equal(request.Edits, read.Value.Edits);
        Assert.Equal(request.Requester, read.Value.Requester);
        Assert.Equal(request.Revert!.Notes, read.Value.Revert!.Notes);
        Assert.Equal(request.Apply!.Notes, read.Value.Apply!.Notes);
        Assert.Equal(request.DecidedAt, read.Value.DecidedAt);
        Assert.Equal(request.CreatedAt.Offset, read.Value.CreatedAt.Offset);
    }

    [Fact]
    public async Task AddOrGet_ExemptRequest_RoundTripsExemptReason()
    {
        var store = CreateStore();
        var request = StorageSamples.ExemptRequest("SG-EXEMPT01");

        await store.AddOrGetAsync(request, Ct);
        var read = await store.GetAsync(request.Id, Ct);

        Assert.Equal(BridgeJson.Serialize(request), BridgeJson.Serialize(read!.Value));
        Assert.Equal("service-linked role", read.Value.ExemptReason);
    }

    [Fact]
    public async Task AddOrGet_WritesQueryColumns()
    {
        var store = CreateStore();
        var request = StorageSamples.FullRequest("SG-COLUMNS1");

        await store.AddOrGetAsync(request, Ct);
        var row = await ReadRawAsync(request.Id);

        Assert.Equal("Applied", row.GetString("Status"));
        Assert.Equal("Modify", row.GetString("Kind"));
        Assert.Equal("111122223333", row.GetString("AccountId"));
        Assert.Equal("eu-west-1", row.GetString("Region"));
        Assert.Equal("sg-0123456789abcdef0", row.GetString("GroupId"));
        Assert.Equal(request.EventId, row.GetString("EventId"));
        Assert.Equal(request.CreatedAt, row.GetDateTimeOffset("CreatedAt"));
        Assert.Equal(request.UpdatedAt, row.GetDateTimeOffset("UpdatedAt"));
        Assert.NotNull(row.GetString(TableJson.JsonColumn));
    }

    [Fact]
    public async Task AddOrGet_Twice_ReturnsFirstRowUnchanged()
    {
        var store = CreateStore();
        var first = StorageSamples.PendingRequest("SG-TWICE001");
        var second = StorageSamples.ExemptRequest("SG-TWICE001");

        var (added, created1) = await store.AddOrGetAsync(first, Ct);
        var (existing, created2) = await store.AddOrGetAsync(second, Ct);

        Assert.True(created1);
        Assert.False(created2);
        Assert.Equal(added.ETag, existing.ETag);
        Assert.Equal(RequestStatus.Pending, existing.Value.Status);
        Assert.Equal(BridgeJson.Serialize(first), BridgeJson.Serialize(existing.Value));
        Assert.Equal(BridgeJson.Serialize(first), BridgeJson.Serialize((await store.GetAsync(first.Id, Ct))!.Value));
    }

    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await CreateStore().GetAsync("SG-NOTHERE", Ct));
    }

    [Fact]
    public async Task Update_WithCurrentETag_ReplacesRowAndReturnsNewETag()
    {
        var store = CreateStore();
        var (added, _) = await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-UPDATE01"), Ct);
        var request = added.Value;
        request.Approve("U0BOB", "Bob", StorageSamples.T0.AddMinutes(1));

        var etag = await store.ReplaceAsync(request, added.ETag, Ct);
        request.MarkApplied(new CallOutcome("AuthorizeSecurityGroupIngress", true), StorageSamples.T0.AddMinutes(2));
        var etag2 = await store.ReplaceAsync(request, etag, Ct);
        var read = await store.GetAsync(request.Id, Ct);

        Assert.NotEqual(added.ETag, etag);
        Assert.Equal(etag2, read!.ETag);
        Assert.Equal(RequestStatus.Applied, read.Value.Status);
        Assert.Equal("U0BOB", read.Value.DecidedBy);
        Assert.Equal("Applied", (await ReadRawAsync(request.Id)).GetString("Status"));
    }

    [Fact]
    public async Task Update_TwoReaders_SecondWriterGetsConcurrencyConflict()
    {
        var store = CreateStore();
        await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-RACE0001"), Ct);
        var alice = (await store.GetAsync("SG-RACE0001", Ct))!;
        var bob = (await store.GetAsync("SG-RACE0001", Ct))!;
        alice.Value.Approve("U0ALICE", "Alice", StorageSamples.T0.AddMinutes(1));
        bob.Value.Deny("U0BOB", "Bob", StorageSamples.T0.AddMinutes(1));

        await store.ReplaceAsync(alice.Value, alice.ETag, Ct);
        var ex = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.ReplaceAsync(bob.Value, bob.ETag, Ct));

        Assert.Contains("SG-RACE0001", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Approved, (await store.GetAsync("SG-RACE0001", Ct))!.Value.Status);
    }

    [Fact]
    public async Task Update_TwentyParallelWritersFromSameETag_ExactlyOneSucceeds()
    {
        var store = CreateStore();
        var (added, _) = await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-PARALL01"), Ct);

        var copies = new List<ChangeRequest>();
        for (var i = 0; i < 20; i++)
        {
            var read = (await store.GetAsync("SG-PARALL01", Ct))!;
            Assert.Equal(added.ETag, read.ETag);
            copies.Add(read.Value);
        }

        var outcomes = await Task.WhenAll(copies.Select(async (copy, i) =>
        {
            copy.Approve($"U{i:D3}", null, StorageSamples.T0.AddMinutes(1));
            try
            {
                await store.ReplaceAsync(copy, added.ETag, Ct);
                return copy.DecidedBy;
            }
            catch (ConcurrencyConflictException)
            {
                return null;
            }
        }));

        var winner = Assert.Single(outcomes, o => o is not null);
        Assert.Equal(winner, (await store.GetAsync("SG-PARALL01", Ct))!.Value.DecidedBy);
    }

    [Fact]
    public async Task Update_WildcardETag_IsRejected()
    {
        var store = CreateStore();
        var request = StorageSamples.PendingRequest("SG-STAR0001");
        await store.AddOrGetAsync(request, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceAsync(request, "*", Ct));
    }

    [Fact]
    public async Task Update_MissingRow_Throws()
    {
        var store = CreateStore();
        await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-OTHER001"), Ct);
        var (stored, _) = await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-GONE0001"), Ct);
        await azurite.CreateTableServiceClient().GetTableClient(_tableName).DeleteEntityAsync(TableRequestStore.PartitionOf("SG-GONE0001"), "SG-GONE0001", cancellationToken: Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.ReplaceAsync(stored.Value, stored.ETag, Ct));
    }

    [Fact]
    public async Task AddOrGet_FiveHundredRules_StoresGzipAndRoundTrips()
    {
        var store = CreateStore();
        var request = StorageSamples.FullRequest("SG-BIG00001", ruleCount: 500);
        var json = BridgeJson.Serialize(request);
        Assert.True(json.Length > TableJson.MaxInlineChars, $"sample is only {json.Length} chars");

        var (added, _) = await store.AddOrGetAsync(request, Ct);
        var read = await store.GetAsync(request.Id, Ct);
        var row = await ReadRawAsync(request.Id);

        Assert.Equal(json, BridgeJson.Serialize(read!.Value));
        Assert.Equal(500, read.Value.Rules.Count);
        Assert.Null(row.GetString(TableJson.JsonColumn));
        Assert.True(row.GetInt32(TableJson.GzipPartsColumn) >= 1);

        // Updating a large row back to a small one leaves no stale parts behind (Replace mode).
        var small = StorageSamples.FullRequest("SG-BIG00001", ruleCount: 1);
        await store.ReplaceAsync(small, added.ETag, Ct);
        var smallRow = await ReadRawAsync(request.Id);
        Assert.NotNull(smallRow.GetString(TableJson.JsonColumn));
        Assert.False(smallRow.ContainsKey(TableJson.GzipPartsColumn));
        Assert.Equal(BridgeJson.Serialize(small), BridgeJson.Serialize((await store.GetAsync(request.Id, Ct))!.Value));
    }

    [Fact]
    public async Task AddOrGet_PoorlyCompressibleLargeRequest_SplitsAcrossSeveralParts()
    {
        var store = CreateStore();
        var request = ChangeRequest.Open("SG-NOISE001", StorageSamples.Change("evt-noise"), StorageSamples.T0);
        request.RecordFound("sg-1", "web", "vpc-1",
            StorageSamples.Rules(500).Select((r, i) => r with { Description = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(200)) }).ToArray(),
            [], [], previousContentUnknown: false, StorageSamples.T0);

        await store.AddOrGetAsync(request, Ct);
        var row = await ReadRawAsync(request.Id);

        Assert.True(row.GetInt32(TableJson.GzipPartsColumn) > 1, $"expected several parts, got {row.GetInt32(TableJson.GzipPartsColumn)}");
        Assert.Equal(BridgeJson.Serialize(request), BridgeJson.Serialize((await store.GetAsync(request.Id, Ct))!.Value));
    }

    [Fact]
    public async Task PendingIndex_ListsOnlyRequestsPendingSinceTheCutoff()
    {
        var store = CreateStore();
        await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-LIST0001"), Ct);
        await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-LIST0002"), Ct);
        await store.AddOrGetAsync(StorageSamples.ExemptRequest("SG-LIST0003"), Ct);
        await store.AddOrGetAsync(StorageSamples.FullRequest("SG-LIST0004", ruleCount: 5), Ct);

        var pending = await store.ListPendingCreatedByAsync(StorageSamples.T0, 100, Ct).OrderBy(id => id).ToListAsync(Ct);
        var before = await store.ListPendingCreatedByAsync(StorageSamples.T0.AddTicks(-1), 100, Ct).ToListAsync(Ct);
        var capped = await store.ListPendingCreatedByAsync(StorageSamples.T0, 1, Ct).ToListAsync(Ct);

        Assert.Equal(["SG-LIST0001", "SG-LIST0002"], pending);
        Assert.Empty(before); // created at T0: not pending since before it
        Assert.Single(capped);
    }

    [Fact]
    public async Task Indexes_FollowTheRequestThroughItsTransitions_InItsOwnPartition()
    {
        var store = CreateStore();
        await store.AddOrGetAsync(StorageSamples.PendingRequest("SG-IDX00001"), Ct);
        Assert.Equal(["due|SG-IDX00001", TableRequestStore.TimedRow(TableRequestStore.PendingPrefix, StorageSamples.T0, "SG-IDX00001")], await IndexRowsAsync("SG-IDX00001"));

        // Pending → Expired: the pending entry goes and a final entry (at the expiry) comes, with the request, in one write.
        var update = (await store.UpdateAsync("SG-IDX00001", r => { r.Expire(StorageSamples.T0.AddDays(3)); return true; }, Ct))!;
        Assert.True(update.Written);
        Assert.Equal(["due|SG-IDX00001", TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, StorageSamples.T0.AddDays(3), "SG-IDX00001")], await IndexRowsAsync("SG-IDX00001"));
        Assert.Empty(await store.ListPendingCreatedByAsync(StorageSamples.T0.AddYears(1), 100, Ct).ToListAsync(Ct));

        // The effects done: the effects entry goes; the final entry stays.
        var effects = update.Request.Effects.Select(e => e.Id).ToArray();
        await store.UpdateAsync(update.Stored, r => r.ClearEffects(effects), Ct);
        Assert.Equal([TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, StorageSamples.T0.AddDays(3), "SG-IDX00001")], await IndexRowsAsync("SG-IDX00001"));
    }

    [Fact]
    public async Task FinalIndex_MovesWhenAFinalRequestChangesAgain()
    {
        var store = CreateStore();
        var full = StorageSamples.FullRequest("SG-IDX00002"); // Applied with 8 h of access, at T0 + 6 min
        await store.AddOrGetAsync(full, Ct);
        Assert.Contains(TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, StorageSamples.T0.AddMinutes(6), full.Id), await IndexRowsAsync(full.Id));

        await store.UpdateAsync(full.Id, r => { r.EndAccess(AccessEndReason.Expired, null, StorageSamples.T0.AddHours(9)); return true; }, Ct);

        var rows = await IndexRowsAsync(full.Id);
        Assert.Contains(TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, StorageSamples.T0.AddHours(9), full.Id), rows);
        Assert.DoesNotContain(TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, StorageSamples.T0.AddMinutes(6), full.Id), rows);
    }

    /// <summary>The index rows of request <paramref name="id"/> (every row of its partition whose key names it, but the request row).</summary>
    private async Task<List<string>> IndexRowsAsync(string id)
    {
        var table = azurite.CreateTableServiceClient().GetTableClient(_tableName);
        var rows = new List<string>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {TableRequestStore.PartitionOf(id)}"), cancellationToken: Ct))
        {
            if (e.RowKey != id && e.RowKey.EndsWith("|" + id, StringComparison.Ordinal))
            {
                rows.Add(e.RowKey);
            }
        }
        return rows.Order(StringComparer.Ordinal).ToList();
    }
}
