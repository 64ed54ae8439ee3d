using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>
/// The text of a queue message: <see cref="BridgeJson"/> JSON, or — when the JSON would not fit in one queue message
/// (a call with hundreds of rules) — <c>gz:</c> followed by base64 of the gzipped JSON. Text either way, so it
/// survives every decoding the Functions host applies; rule JSON compresses about tenfold.
/// </summary>
public static class QueuePayload
{
    private const string GzipPrefix = "gz:";

    public static byte[] Encode<T>(T message, int maxBytes)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, BridgeJson.Options);
        if (json.Length <= maxBytes)
        {
            return json;
        }
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(json);
        }
        return Encoding.ASCII.GetBytes(GzipPrefix + Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static T Decode<T>(string text)
    {
        if (!text.StartsWith(GzipPrefix, StringComparison.Ordinal))
        {
            return BridgeJson.Deserialize<T>(text);
        }
        using var gzip = new GZipStream(new MemoryStream(Convert.FromBase64String(text[GzipPrefix.Length..])), CompressionMode.Decompress);
        return JsonSerializer.Deserialize<T>(gzip, BridgeJson.Options) ?? throw new JsonException($"Expected a {typeof(T).Name}, got null.");
    }
}
