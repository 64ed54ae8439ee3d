using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

public sealed class StorageServiceCollectionExtensionsTests
{
    internal static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddSgBridgeStorage(configuration).BuildServiceProvider();
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Options_NeitherOrBothOfConnectionStringAndAccountName_FailValidationOnStart(bool connectionString, bool accountName)
    {
        var settings = new List<(string, string)>();
        if (connectionString) settings.Add(("Storage:ConnectionString", "UseDevelopmentStorage=true"));
        if (accountName) settings.Add(("Storage:AccountName", "sgbridgestore"));
        using var provider = Build([.. settings]);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Set exactly one of Storage:ConnectionString (Azurite locally) or Storage:AccountName (managed identity in Azure).",
            ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    [InlineData("12:00:00")]
    public void Options_RetentionBelowADay_IsRefusedAtStartUp(string retention)
    {
        using var provider = Build(("Storage:AccountName", "sgbridgestore"), ("Storage:Retention", retention));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Storage:Retention must be at least 1.00:00:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Retention_DefaultsTo400Days_AndBindsAnAcceptedValue()
    {
        using var defaults = Build(("Storage:ConnectionString", "UseDevelopmentStorage=true"));
        defaults.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TimeSpan.FromDays(400), defaults.GetRequiredService<IOptions<StorageOptions>>().Value.Retention);
        using var set = Build(("Storage:AccountName", "sgbridgestore"), ("Storage:Retention", "1.00:00:00"));
        set.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TimeSpan.FromDays(1), set.GetRequiredService<IOptions<StorageOptions>>().Value.Retention);
    }

    [Fact]
    public void Options_BadTableName_FailsValidation()
    {
        using var provider = Build(("Storage:AccountName", "sgbridgestore"), ("Storage:RequestsTable", "bad-name"));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Storage:RequestsTable must be 3-63 letters and digits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccountName_BuildsManagedIdentityClientsOnAccountEndpoints()
    {
        using var provider = Build(("Storage:AccountName", "sgbridgestore"), ("Storage:ClientId", "00000000-0000-0000-0000-000000000001"));

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(new Uri("https://sgbridgestore.table.core.windows.net/"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("https://sgbridgestore.queue.core.windows.net/"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Same(provider.GetRequiredService<IRequestStore>(), provider.GetRequiredService<IRequestStore>());
        Assert.IsType<TableGroupStateStore>(provider.GetRequiredService<IGroupStateStore>());
        Assert.IsType<StorageQueueSender>(provider.GetRequiredService<IQueueSender>());
    }
}

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StorageRegistrationIntegrationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AddSgBridgeStorage_WithAzuriteConnectionString_StoresAndQueuesBase64()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;
        var table = azurite.UniqueTableName("di");
        var queue = azurite.UniqueQueueName("di");
        using var provider = StorageServiceCollectionExtensionsTests.Build(
            ("Storage:ConnectionString", azurite.ConnectionString), ("Storage:RequestsTable", table), ("Storage:GroupsTable", table + "g"));
        provider.GetRequiredService<IStartupValidator>().Validate();
        var request = StorageSamples.PendingRequest("SG-DI000001");

        var (_, created) = await provider.GetRequiredService<IRequestStore>().AddOrGetAsync(request, ct);
        var group = ApprovedGroup.Create("111122223333", "eu-west-1", "sg-0123456789abcdef0", "web", "vpc-1", [], ApprovalOrigin.Baseline, DateTimeOffset.UnixEpoch);
        await provider.GetRequiredService<IGroupStateStore>().AddOrGetAsync(group, ct);
        await provider.GetRequiredService<IQueueSender>().SendAsync(queue, request, ct);

        Assert.True(created);
        Assert.NotNull(await provider.GetRequiredService<IGroupStateStore>().GetAsync("111122223333", "eu-west-1", "sg-0123456789abcdef0", ct));
        var message = (await azurite.CreateQueueServiceClient().GetQueueClient(queue).ReceiveMessageAsync(cancellationToken: ct)).Value;
        Assert.Equal(BridgeJson.Serialize(request), Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())));
    }
}
