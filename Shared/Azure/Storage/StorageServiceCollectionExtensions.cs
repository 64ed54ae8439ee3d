using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers <see cref="StorageOptions"/> (validated on start), the storage clients, stores, queue sender and retention
    /// purge.</summary>
    public static IServiceCollection AddSgBridgeStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddValidatedOptions<StorageOptions>(configuration, StorageOptions.SectionName);

        services.TryAddSingleton(sp => new StorageClients(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.TryAddSingleton<TableServiceClient>(sp => sp.GetRequiredService<StorageClients>().Tables);
        services.TryAddSingleton<QueueServiceClient>(sp => sp.GetRequiredService<StorageClients>().Queues);
        // One table store behind the requests and their index rows (written in the same transaction as each row), so the
        // indexes read the table even where the request store is decorated.
        services.TryAddSingleton<TableRequestStore>();
        services.TryAddSingleton<IRequestStore>(sp => sp.GetRequiredService<TableRequestStore>());
        services.TryAddSingleton<IEffectsIndex>(sp => sp.GetRequiredService<TableRequestStore>());
        services.TryAddSingleton<IPendingRequestsIndex>(sp => sp.GetRequiredService<TableRequestStore>());
        services.TryAddSingleton<IGroupStateStore, TableGroupStateStore>();
        services.TryAddSingleton<ISlackThreadStore, TableSlackThreadStore>();
        services.TryAddSingleton<IQueueSender, StorageQueueSender>();
        services.TryAddSingleton<RequestRetention>();
        return services;
    }
}
