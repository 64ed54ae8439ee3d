using System.IO.Compression;
using System.Text.Json;

namespace SgBridge.Cli.Commands;

/// <summary>
/// What <c>plan</c> reads: one EventBridge event or bare CloudTrail record, a CloudTrail log file as delivered to S3
/// (<c>{"Records": [...]}</c>), or a JSON array of records; any of them gzipped (recognised by the gzip magic bytes,
/// whatever the file is called).
/// </summary>
internal sealed record EventFile(bool IsLog, IReadOnlyList<byte[]> Items)
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];

    public static EventFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"No such file: {path}");
        }
        var bytes = File.ReadAllBytes(path);
        var gzipped = bytes.AsSpan().StartsWith(GzipMagic);
        if (gzipped)
        {
            bytes = Gunzip(bytes, path);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex) when (gzipped)
        {
            // GZipStream does not notice every truncation; what comes out is then cut short.
            throw new CliUsageException($"{path} is gzipped, but what it holds is not JSON (a truncated download?): {ex.Message}");
        }
        catch (JsonException)
        {
            // Not JSON: the parser explains it, as intake would.
            return new EventFile(false, [bytes]);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return new EventFile(true, Split(root));
            }
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
            {
                return new EventFile(true, Split(records));
            }
            return new EventFile(false, [bytes]);
        }
    }

    /// <summary>A record's eventSource and eventName, when it has them, for the reason a record is skipped.</summary>
    public static (string? Source, string? Name) Describe(byte[] record)
    {
        try
        {
            using var document = JsonDocument.Parse(record);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            return (Text(root, "eventSource"), Text(root, "eventName"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Text(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[][] Split(JsonElement array) =>
        array.EnumerateArray().Select(e => System.Text.Encoding.UTF8.GetBytes(e.GetRawText())).ToArray();

    private static byte[] Gunzip(byte[] bytes, string path)
    {
        try
        {
            using var input = new MemoryStream(bytes);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new CliUsageException($"{path} starts like a gzip file but does not decompress: {ex.Message}");
        }
    }
}
