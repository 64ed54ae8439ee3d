using System.Globalization;
using System.Text.Json;

namespace SgBridge.Local;

/// <summary>
/// What the Functions host reads from host.json and the local host honours: the HTTP route prefix and the queue
/// trigger settings (Azure.WebJobs.Extensions.Storage.Queues' QueuesOptions, with the host's defaults where a key is
/// absent). The repo's host.json is embedded in this assembly, so the local host runs with what the app deploys with.
/// </summary>
public sealed record HostSettings(
    string RoutePrefix,
    int BatchSize,
    int NewBatchThreshold,
    TimeSpan MaxPollingInterval,
    TimeSpan VisibilityTimeout,
    int MaxDequeueCount,
    bool Base64Messages,
    TimeSpan FunctionTimeout)
{
    /// <summary>The host's minimum polling interval (QueuePollingIntervals.Minimum).</summary>
    public static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The repo's host.json, as embedded at build time.</summary>
    public static HostSettings Embedded()
    {
        using var stream = typeof(HostSettings).Assembly.GetManifestResourceStream("host.json")
            ?? throw new InvalidOperationException("host.json is not embedded in SgBridge.Local.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    public static HostSettings Load(string path) => Parse(File.ReadAllText(path));

    public static HostSettings Parse(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        var extensions = root.TryGetProperty("extensions", out var e) ? e : default;
        var http = extensions.ValueKind == JsonValueKind.Object && extensions.TryGetProperty("http", out var h) ? h : default;
        var queues = extensions.ValueKind == JsonValueKind.Object && extensions.TryGetProperty("queues", out var q) ? q : default;
        var batchSize = Int(queues, "batchSize", 16);
        if (batchSize is < 1 or > 32)
        {
            throw new InvalidOperationException($"host.json extensions.queues.batchSize must be 1–32, got {batchSize}.");
        }
        return new HostSettings(
            RoutePrefix: Text(http, "routePrefix") ?? "api",
            BatchSize: batchSize,
            // The host's default threshold is half the batch size times the processor count.
            NewBatchThreshold: Int(queues, "newBatchThreshold", batchSize / 2 * Environment.ProcessorCount),
            MaxPollingInterval: Span(queues, "maxPollingInterval") ?? TimeSpan.FromMinutes(1),
            VisibilityTimeout: Span(queues, "visibilityTimeout") ?? TimeSpan.Zero,
            MaxDequeueCount: Int(queues, "maxDequeueCount", 5),
            Base64Messages: !string.Equals(Text(queues, "messageEncoding") ?? "base64", "none", StringComparison.OrdinalIgnoreCase),
            FunctionTimeout: Text(root, "functionTimeout") is { } t ? TimeSpan.Parse(t, CultureInfo.InvariantCulture) : TimeSpan.FromMinutes(5));
    }

    private static string? Text(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement parent, string name, int fallback) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    private static TimeSpan? Span(JsonElement parent, string name) =>
        Text(parent, name) is { } s ? TimeSpan.Parse(s, CultureInfo.InvariantCulture) : null;
}
