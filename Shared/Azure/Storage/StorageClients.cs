using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Builds the Table and Queue service clients from <see cref="StorageOptions"/>: a connection string (Azurite), or the
/// account name with a managed identity. Queue messages are base64, as the Functions trigger expects. Retries are
/// bounded and an outage surfaces as <see cref="StorageUnavailableException"/> (<see cref="StorageOutagePolicy"/>).
/// The queue API version is not pinned, so Azurite runs with <c>--skipApiVersionCheck</c>.
/// </summary>
public sealed class StorageClients
{
    public StorageClients(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var queueOptions = StorageOutagePolicy.Apply(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        Bound(queueOptions.Retry, options.QueueNetworkTimeout, options.MaxRetries);
        var tableOptions = StorageOutagePolicy.Apply(new TableClientOptions());
        Bound(tableOptions.Retry, options.TableNetworkTimeout, options.MaxRetries);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Tables = new TableServiceClient(options.ConnectionString, tableOptions);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
        }
        else if (!string.IsNullOrWhiteSpace(options.AccountName))
        {
            var credential = Credential(options);
            Tables = new TableServiceClient(TableEndpoint(options.AccountName), credential, tableOptions);
            Queues = new QueueServiceClient(QueueEndpoint(options.AccountName), credential, queueOptions);
        }
        else
        {
            throw new InvalidOperationException("Set Storage:ConnectionString or Storage:AccountName.");
        }
    }

    /// <summary>The storage managed identity (tables, queues and the policy blob): Storage:ClientId's user-assigned one, else the default
    /// chain.</summary>
    public static TokenCredential Credential(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
    }

    /// <summary>
    /// Each try waits at most <paramref name="networkTimeout"/> and is retried <paramref name="maxRetries"/> times (0.1 s
    /// backoff up to 1 s): Azure.Core's defaults (100 s per try, 3 retries) let one hung endpoint hold a revert for minutes.
    /// </summary>
    private static void Bound(RetryOptions retry, TimeSpan networkTimeout, int maxRetries)
    {
        retry.Mode = RetryMode.Exponential;
        retry.NetworkTimeout = networkTimeout;
        retry.MaxRetries = maxRetries;
        retry.Delay = TimeSpan.FromMilliseconds(100);
        retry.MaxDelay = TimeSpan.FromSeconds(1);
    }

    public TableServiceClient Tables { get; }

    public QueueServiceClient Queues { get; }

    public static Uri TableEndpoint(string accountName) => new($"https://{accountName}.table.core.windows.net");

    public static Uri QueueEndpoint(string accountName) => new($"https://{accountName}.queue.core.windows.net");
}
