using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Builds the Table and Queue service clients from <see cref="StorageOptions"/>: a connection string (Azurite locally),
/// or the account name with a managed identity (<c>ManagedIdentityCredential</c> for <see cref="StorageOptions.ClientId"/>,
/// else <c>DefaultAzureCredential</c>). Queue messages are base64-encoded, as the Functions queue trigger expects.
/// Both have bounded retries (<see cref="StorageOptions.TableNetworkTimeout"/>, <see cref="StorageOptions.QueueNetworkTimeout"/>,
/// <see cref="StorageOptions.MaxRetries"/>) instead of Azure.Core's 100 s per try, and report an outage as
/// <see cref="StorageUnavailableException"/> (<see cref="StorageOutagePolicy"/>).
/// <para>
/// The Queue client sends the newest storage API version its SDK knows, which Azurite may not accept yet:
/// run Azurite with <c>--skipApiVersionCheck</c> (the test fixture and the README do). The version is deliberately
/// not pinned, so that production talks to Azure with the SDK's default.
/// </para>
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
            TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
            Tables = new TableServiceClient(TableEndpoint(options.AccountName), credential, tableOptions);
            Queues = new QueueServiceClient(QueueEndpoint(options.AccountName), credential, queueOptions);
        }
        else
        {
            throw new InvalidOperationException("Set Storage:ConnectionString or Storage:AccountName.");
        }
    }

    /// <summary>
    /// Every storage call has a deadline of its own: a try waits at most <paramref name="networkTimeout"/> for its answer,
    /// and is retried <paramref name="maxRetries"/> times with a short exponential backoff (0.1 s, 0.2 s, … at most 1 s).
    /// Azure.Core's defaults (100 s per try, 3 retries, up to 8 s between them) let one hung endpoint hold a revert for minutes.
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
