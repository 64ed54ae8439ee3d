using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>A decoded queue message: its body and the W3C trace context the sender was in, if it carried one.</summary>
public sealed record QueueContent<T>(T Body, string? TraceParent, string? TraceState);

/// <summary>
/// The text of a queue message: <see cref="BridgeJson"/> JSON, or — when the JSON would not fit in one queue message
/// (a call with hundreds of rules) — <c>gz:</c> followed by base64 of the gzipped JSON. Text either way, so it
/// survives every decoding the Functions host applies; rule JSON compresses about tenfold. A message sent inside a
/// trace is an envelope, <c>{"traceparent":"00-…","tracestate":"…","body":{…}}</c>, so the consumer continues the trace.
/// </summary>
public static class QueuePayload
{
    private const string GzipPrefix = "gz:";
    private const string TraceParentProperty = "traceparent";
    private const string TraceStateProperty = "tracestate";
    private const string BodyProperty = "body";

    /// <summary>The message as JSON, in an envelope when <paramref name="traceParent"/> is given; compressed when larger than <paramref
    /// name="maxBytes"/>.</summary>
    public static byte[] Encode<T>(T message, int maxBytes, string? traceParent = null, string? traceState = null)
    {
        var json = string.IsNullOrEmpty(traceParent)
            ? JsonSerializer.SerializeToUtf8Bytes(message, BridgeJson.Options)
            : JsonSerializer.SerializeToUtf8Bytes(
                new TraceEnvelope<T>(traceParent, string.IsNullOrEmpty(traceState) ? null : traceState, message), BridgeJson.Options);
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

    public static T Decode<T>(string text) => Read<T>(text).Body;

    /// <summary>The body and, for an envelope, the trace context of a message <see cref="Encode{T}"/> wrote.</summary>
    public static QueueContent<T> Read<T>(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] json;
        if (text.StartsWith(GzipPrefix, StringComparison.Ordinal))
        {
            using var compressed = new MemoryStream(Convert.FromBase64String(text[GzipPrefix.Length..]));
            using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            json = buffer.ToArray();
        }
        else
        {
            json = Encoding.UTF8.GetBytes(text);
        }
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var envelope = IsEnvelope(root);
        var body = (envelope ? root.GetProperty(BodyProperty) : root).Deserialize<T>(BridgeJson.Options)
            ?? throw new JsonException($"Expected a {typeof(T).Name}, got null.");
        var traceState = envelope && root.TryGetProperty(TraceStateProperty, out var state) ? state.GetString() : null;
        return new(body, envelope ? root.GetProperty(TraceParentProperty).GetString() : null, traceState);
    }

    /// <summary>An object with a string <c>traceparent</c>, a <c>body</c>, at most a string <c>tracestate</c> and nothing else (no
    /// message has that shape).</summary>
    private static bool IsEnvelope(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty(TraceParentProperty, out _)
        && root.TryGetProperty(BodyProperty, out _)
        && root.EnumerateObject().All(p => p.Name switch
        {
            TraceParentProperty or TraceStateProperty => p.Value.ValueKind == JsonValueKind.String,
            BodyProperty => true,
            _ => false,
        });

    /// <summary>The envelope's shape (a null <c>tracestate</c> is left out).</summary>
    private sealed record TraceEnvelope<T>(
        [property: JsonPropertyName(TraceParentProperty)] string TraceParent,
        [property: JsonPropertyName(TraceStateProperty)] string? TraceState,
        [property: JsonPropertyName(BodyProperty)] T Body);
}
