using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.EndToEnd;
using SgBridge.Tests.Integration;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Storage;

/// <summary>
/// Start-up work: a new instance whose tables and queues exist makes no creation call; one that finds them missing
/// creates them on the first write (or send) that needs them, and reads of a missing table find nothing.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StartupStorageCallsTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly TableRequestLog _log = new();
    private readonly StorageOptions _options = new()
    {
        ConnectionString = azurite.ConnectionString,
        RequestsTable = azurite.UniqueTableName("req"),
        SlackTable = azurite.UniqueTableName("slack"),
    };

    private TableServiceClient Tables()
    {
        var options = new TableClientOptions();
        options.AddPolicy(_log, HttpPipelinePosition.PerRetry);
        return new TableServiceClient(azurite.ConnectionString, options);
    }

    private int CreateTableCalls => _log.Requests.Count(r => r.Method == "POST" && r.Resource == "Tables");

    [Fact]
    public async Task MissingTables_ReadAsEmpty_AndTheFirstWriteCreatesThem()
    {
        var requests = new TableRequestStore(Tables(), O.Create(_options));
        var threads = new TableSlackThreadStore(Tables(), O.Create(_options));

        Assert.Null(await requests.GetAsync("SG-NONE0001", default));
        Assert.Empty(await requests.ListPendingCreatedByAsync(DateTimeOffset.MaxValue.AddDays(-1), 10, default).ToListAsync());
        Assert.Null(await threads.GetAsync(SlackRows.Member("home-t", "SG-NONE0001"), default));
        Assert.Equal(0, CreateTableCalls);

        var request = StorageSamples.FullRequest("SG-START001");
        Assert.True((await requests.AddOrGetAsync(request, default)).Created);
        await threads.WriteTogetherAsync([SlackRowWrite.Of(SlackRows.Thread("home-t", "SG-START001"), SlackThread.Start("home-t", "SG-START001", "k", T), null)], default);

        Assert.Equal(2, CreateTableCalls);
        Assert.Equal("SG-START001", (await requests.GetAsync("SG-START001", default))!.Value.Id);
        Assert.NotNull(await threads.GetAsync(SlackRows.Thread("home-t", "SG-START001"), default));
    }

    [Fact]
    public async Task ExistingTables_ANewInstance_MakesNoCreationCall()
    {
        await new TableRequestStore(Tables(), O.Create(_options)).AddOrGetAsync(StorageSamples.FullRequest("SG-START002"), default);
        await new TableSlackThreadStore(Tables(), O.Create(_options)).WriteAsync(SlackRows.Member("home-t", "SG-START002"), new ThreadMembership("SG-START002"), null, default);
        _log.Clear();

        // A new instance (a cold start): reads, inserts, replaces and a transaction, and not one table creation.
        var requests = new TableRequestStore(Tables(), O.Create(_options));
        var threads = new TableSlackThreadStore(Tables(), O.Create(_options));
        var stored = (await requests.GetAsync("SG-START002", default))!;
        await requests.ReplaceAsync(stored.Value, stored.ETag, default);
        await requests.AddOrGetAsync(StorageSamples.FullRequest("SG-START003"), default);
        await threads.WriteTogetherAsync([SlackRowWrite.Of(SlackRows.Thread("home-t", "SG-START003"), SlackThread.Start("home-t", "SG-START003", "k", T), null)], default);
        await threads.GetAsync(SlackRows.Member("home-t", "SG-START002"), default);

        Assert.Equal(0, CreateTableCalls);
        Assert.Equal(5, _log.Requests.Count);
    }

    [Fact]
    public async Task MissingTable_ManyWritersAtOnce_CreateItOnce_AndEveryWriteLands()
    {
        var threads = new TableSlackThreadStore(Tables(), O.Create(_options));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            threads.WriteAsync(SlackRows.Member("home-t", $"SG-MANY000{i}"), new ThreadMembership("SG-MANY0000"), null, default)));

        Assert.Equal(1, CreateTableCalls);
        for (var i = 0; i < 8; i++)
        {
            Assert.NotNull(await threads.GetAsync(SlackRows.Member("home-t", $"SG-MANY000{i}"), default));
        }
    }

    [Fact]
    public async Task QueueSender_SendsWithoutCreating_WhenTheQueueExists_AndCreatesAMissingOne()
    {
        var existing = azurite.UniqueQueueName("exists");
        var missing = azurite.UniqueQueueName("missing");
        var service = azurite.CreateQueueServiceClient(QueueMessageEncoding.Base64);
        await service.GetQueueClient(existing).CreateAsync();
        var calls = new TableRequestLog();
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.AddPolicy(calls, HttpPipelinePosition.PerRetry);
        var sender = new StorageQueueSender(new QueueServiceClient(azurite.ConnectionString, options));

        await sender.SendAsync(existing, "one", default);
        Assert.Equal(["POST"], calls.Requests.Select(r => r.Method));

        await sender.SendAsync(missing, "two", default);
        // The send finds no queue (404), the queue is created (PUT), the send goes again.
        Assert.Equal(["POST", "POST", "PUT", "POST"], calls.Requests.Select(r => r.Method));
        Assert.Equal(1, (await service.GetQueueClient(missing).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
