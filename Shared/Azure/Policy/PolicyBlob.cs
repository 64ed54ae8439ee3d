using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Policy;

/// <summary>
/// A policy file in a blob (<c>Policy__RulesFile=https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;/policy.yaml</c>),
/// read once at start-up with the bridge's own storage credential, never a SAS: with <c>Storage__ConnectionString</c>
/// the blob must be in that account; with <c>Storage__AccountName</c> the managed identity needs Storage Blob Data Reader.
/// <c>http://</c> only on a loopback host (Azurite). Every failure is a <see cref="PolicyFileException"/> naming the
/// blob: the app does not start without the policy it was given.
/// </summary>
public sealed class PolicyBlob(IOptions<StorageOptions> storage) : IPolicyBlobReader
{
    /// <summary>Tries and time per try: a blob that does not answer stops the start-up within about half a minute.</summary>
    internal const int MaxRetries = 2;

    internal static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(10);

    public (string Text, string Source) Read(string url, CancellationToken cancellationToken) =>
        Read(url, storage.Value, null, cancellationToken);

    /// <summary>The text of the policy blob named by <paramref name="setting"/>, and the name errors cite.</summary>
    public static (string Text, string Source) Read(string setting, StorageOptions storage, TokenCredential? credential, CancellationToken cancellationToken)
    {
        var (client, source) = CreateClient(setting, storage, credential);
        string text;
        try
        {
            text = client.DownloadContent(cancellationToken).Value.Content.ToString();
        }
        catch (RequestFailedException ex)
        {
            var what = ex.Status switch
            {
                404 => "it does not exist (or its container does not)",
                403 => "access denied: the bridge's identity needs Storage Blob Data Reader on it",
                401 => "not authorised",
                0 => "the storage account could not be reached",
                _ => $"HTTP {ex.Status}",
            };
            throw Fail(Display(client.Uri), $"the blob cannot be read: {what}{(ex.ErrorCode is { Length: > 0 } code ? $" ({code})" : "")}");
        }
        catch (AuthenticationFailedException ex)
        {
            var reason = $"{ex.GetType().Name}: {StorageOutagePolicy.FirstLine(ex.Message)}";
            throw Fail(Display(client.Uri), $"the blob cannot be read: no storage token for the bridge's identity ({reason})");
        }
        catch (Exception ex) when (ex is AggregateException or HttpRequestException or IOException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw Fail(Display(client.Uri), $"the blob cannot be read: the storage account could not be reached ({ex.GetType().Name})");
        }
        return (text, source);
    }

    /// <summary>The blob client for <paramref name="setting"/> with the bridge's storage credential, and the name errors cite
    /// (<c>container/path</c>).</summary>
    public static (BlobClient Client, string Source) CreateClient(string setting, StorageOptions storage, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(storage);
        if (!Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
        {
            throw Fail(setting, "Policy:RulesFile is not a valid blob URL: write https://<account>.blob.core.windows.net/<container>/<name>.yaml");
        }
        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            throw Fail(Display(uri), "Policy:RulesFile must be an https:// blob URL (http:// only for a local emulator on 127.0.0.1/localhost)");
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Fail(Display(uri), "Policy:RulesFile must not carry a query (no SAS token in a setting): the bridge reads the blob with its own storage credential");
        }
        var options = new BlobClientOptions
        {
            Retry = { MaxRetries = MaxRetries, Delay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(4), NetworkTimeout = NetworkTimeout },
        };
        BlobClient client;
        if (!string.IsNullOrWhiteSpace(storage.ConnectionString))
        {
            BlobServiceClient service;
            try
            {
                service = new BlobServiceClient(storage.ConnectionString, options);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw Fail(Display(uri), "Storage:ConnectionString cannot be read, so the policy blob cannot be either");
            }
            var endpoint = service.Uri.AbsoluteUri.TrimEnd('/') + "/";
            if (!uri.AbsoluteUri.StartsWith(endpoint, StringComparison.OrdinalIgnoreCase))
            {
                throw Fail(Display(uri), $"the blob is not in the storage account of Storage:ConnectionString (its blob endpoint is {endpoint}): keep the policy there, or use Storage:AccountName (managed identity)");
            }
            var path = Uri.UnescapeDataString(uri.AbsoluteUri[endpoint.Length..]);
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == path.Length - 1)
            {
                throw Fail(Display(uri), "Policy:RulesFile must name a container and a blob: …/<container>/<name>.yaml");
            }
            client = service.GetBlobContainerClient(path[..slash]).GetBlobClient(path[(slash + 1)..]);
        }
        else if (!string.IsNullOrWhiteSpace(storage.AccountName))
        {
            client = new BlobClient(uri, credential ?? StorageClients.Credential(storage), options);
        }
        else
        {
            throw Fail(Display(uri), "Policy:RulesFile is a blob URL, but neither Storage:ConnectionString nor Storage:AccountName is set to read it with");
        }
        if (string.IsNullOrEmpty(client.BlobContainerName) || string.IsNullOrEmpty(client.Name))
        {
            throw Fail(Display(uri), "Policy:RulesFile must name a container and a blob: …/<container>/<name>.yaml");
        }
        var source = $"{client.BlobContainerName}/{client.Name}";
        if (Path.GetExtension(client.Name).ToLowerInvariant() is not (".yaml" or ".yml" or ".json"))
        {
            throw Fail(source, "the policy blob's name must end in .yaml, .yml or .json (the extension says how to read it)");
        }
        return (client, source);
    }

    private static string Display(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    private static PolicyFileException Fail(string source, string message) => new([new PolicyError(source, 0, message)]);
}
