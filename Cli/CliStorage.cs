using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using SgBridge.Shared.Options;

namespace SgBridge.Cli;

/// <summary>
/// The storage clients the CLI builds itself instead of the app's (<c>StorageClients</c>): the same account and auth,
/// but bounded for a person waiting: each call gives up after <see cref="NetworkTimeout"/> and is tried
/// <see cref="Tries"/> times, so an unreachable account is an error within seconds, not a minute of retries. A
/// connection string that is not one is a settings error naming <c>Storage__ConnectionString</c>.
/// </summary>
public static class CliStorage
{
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(10);

    public const int Tries = 2;

    public static (TableServiceClient Tables, QueueServiceClient Queues) Create(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tableOptions = new TableClientOptions();
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        foreach (var retry in new[] { tableOptions.Retry, queueOptions.Retry })
        {
            retry.MaxRetries = Tries - 1;
            retry.Mode = RetryMode.Fixed;
            retry.Delay = TimeSpan.FromMilliseconds(500);
            retry.NetworkTimeout = NetworkTimeout;
        }
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                return (new TableServiceClient(options.ConnectionString, tableOptions), new QueueServiceClient(options.ConnectionString, queueOptions));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                throw CliFailureException.Settings(
                    $"Storage__ConnectionString is not a storage connection string ({CliErrors.FirstLine(ex.Message)}).",
                    "copy it from the storage account's Access keys (DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…), or use UseDevelopmentStorage=true / Azurite's; or set Storage__AccountName instead.", ex);
            }
        }
        if (!string.IsNullOrWhiteSpace(options.AccountName))
        {
            var credential = Credential(options)!;
            return (new TableServiceClient(Shared.Storage.StorageClients.TableEndpoint(options.AccountName), credential, tableOptions),
                new QueueServiceClient(Shared.Storage.StorageClients.QueueEndpoint(options.AccountName), credential, queueOptions));
        }
        throw CliFailureException.Settings("no storage account: Storage__ConnectionString and Storage__AccountName are both empty.",
            "set one of them (environment variable, or --settings local.settings.json Values).");
    }

    /// <summary>
    /// The Entra credential the CLI reaches storage with (<c>Storage__AccountName</c>): a person's `az login` (or the VM's
    /// identity; a user-assigned identity when <c>Storage__ClientId</c> says so). Null with a connection string.
    /// </summary>
    public static TokenCredential? Credential(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return !string.IsNullOrWhiteSpace(options.ConnectionString) || string.IsNullOrWhiteSpace(options.AccountName)
            ? null
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ClientId) ? null : options.ClientId,
            });
    }

    /// <summary>
    /// Fails when <paramref name="table"/> does not exist: a misspelled Storage__RequestsTable is an error, not "no requests".
    /// </summary>
    public static async Task RequireTableAsync(TableServiceClient tables, string table, string setting, CancellationToken cancellationToken)
    {
        if (await TableExistsAsync(tables, table, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        throw CliFailureException.Storage($"the table '{table}' ({setting}) does not exist in the storage account.",
            $"check {setting} against the deployment (the function app creates its tables when it starts); `sgbridge doctor` lists what it reaches.");
    }

    /// <summary>Whether the table exists: a query of the table list, which creates nothing.</summary>
    public static async Task<bool> TableExistsAsync(TableServiceClient tables, string table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        await foreach (var _ in tables.QueryAsync(t => t.Name == table, maxPerPage: 1, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return true;
        }
        return false;
    }
}
