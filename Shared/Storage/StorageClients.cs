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
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Tables = new TableServiceClient(options.ConnectionString);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
        }
        else if (!string.IsNullOrWhiteSpace(options.AccountName))
        {
            TokenCredential credential = string.IsNullOrWhiteSpace(options.ClientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ClientId));
            Tables = new TableServiceClient(TableEndpoint(options.AccountName), credential);
            Queues = new QueueServiceClient(QueueEndpoint(options.AccountName), credential, queueOptions);
        }
        else
        {
            throw new InvalidOperationException("Set Storage:ConnectionString or Storage:AccountName.");
        }
    }

    public TableServiceClient Tables { get; }

    public QueueServiceClient Queues { get; }

    public static Uri TableEndpoint(string accountName) => new($"https://{accountName}.table.core.windows.net");

    public static Uri QueueEndpoint(string accountName) => new($"https://{accountName}.queue.core.windows.net");
}
