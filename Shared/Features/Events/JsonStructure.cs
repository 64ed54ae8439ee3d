using System.Text.Json;

namespace SgBridge.Shared.Events;

/// <summary>One pass over the raw JSON for what <see cref="JsonDocument"/> lets through silently: a key twice in one object,
/// ignoring case (a second <c>eventName</c> would change the event's meaning depending on the reader), and <c>\u</c> escapes
/// that are not valid UTF-16. Invalid JSON throws.</summary>
internal static class JsonStructure
{
    private sealed record Frame(string Path, bool IsArray)
    {
        public int NextIndex { get; set; }
        public string? LastKey { get; set; }
        public HashSet<string>? Keys { get; set; }
    }

    public static ParseResult.Rejection? Check(ReadOnlySpan<byte> utf8Json, int maxDepth) => Walk(utf8Json, true, maxDepth, out _);

    /// <summary>The path of the value a reader is on after <paramref name="utf8Json"/> (a prefix up to a fault).</summary>
    public static string LocationAt(ReadOnlySpan<byte> utf8Json, int maxDepth)
    {
        try
        {
            _ = Walk(utf8Json, false, maxDepth, out var location);
            return location;
        }
        catch (JsonException e) when (e.Data["location"] is string location)
        {
            return location;
        }
    }

    /// <summary>The path a reader is in, given its open containers: the value after the last key, or the next array element.</summary>
    private static string Location(List<Frame> frames)
    {
        if (frames.Count == 0) return "(root)";
        var top = frames[^1];
        return top.IsArray ? $"{top.Path}[{top.NextIndex}]" : top.LastKey is null ? (top.Path.Length == 0 ? "(root)" : top.Path) : Child(top.Path, top.LastKey);
    }

    private static ParseResult.Rejection? Walk(ReadOnlySpan<byte> utf8Json, bool isFinalBlock, int maxDepth, out string location)
    {
        var reader = new Utf8JsonReader(utf8Json, isFinalBlock, new JsonReaderState(new JsonReaderOptions { MaxDepth = maxDepth }));
        var frames = new List<Frame>();
        try
        {
            var rejection = Read(ref reader, frames);
            location = Location(frames);
            return rejection;
        }
        catch (JsonException e)
        {
            // The body is not JSON from here on: say where, as the path of the value being read.
            e.Data["location"] = Location(frames);
            throw;
        }
    }

    private static ParseResult.Rejection? Read(ref Utf8JsonReader reader, List<Frame> frames)
    {
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                {
                    var frame = frames[^1];
                    if (Decoded(ref reader) is not { } key)
                    {
                        return Invalid(frame.Path.Length == 0 ? "(root)" : frame.Path, "one of its keys has \\u escapes that are not valid UTF-16 (a lone surrogate)");
                    }
                    frame.Keys ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    if (!frame.Keys.Add(key))
                    {
                        return Invalid(Child(frame.Path, key), "the key appears more than once in its object (keys are compared ignoring case)");
                    }
                    frame.LastKey = key;
                    break;
                }
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    frames.Add(new Frame(ValuePath(frames), reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
                case JsonTokenType.String:
                {
                    var path = ValuePath(frames);
                    if (reader.ValueIsEscaped && Decoded(ref reader) is null)
                    {
                        return Invalid(path, "its \\u escapes are not valid UTF-16 (a lone surrogate)");
                    }
                    break;
                }
                default:
                    // Numbers, true, false, null: only the position in an array moves.
                    if (frames.Count > 0 && frames[^1].IsArray) frames[^1].NextIndex++;
                    break;
            }
        }
        return null;
    }

    /// <summary>The path of the value the reader is on (and, in an array, moves to the next index).</summary>
    private static string ValuePath(List<Frame> frames)
    {
        if (frames.Count == 0) return "";
        var parent = frames[^1];
        return parent.IsArray ? $"{parent.Path}[{parent.NextIndex++}]" : Child(parent.Path, parent.LastKey ?? "");
    }

    /// <summary>The string the reader is on; null when its <c>\u</c> escapes are not valid UTF-16.</summary>
    private static string? Decoded(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static ParseResult.Rejection Invalid(string path, string reason) =>
        new(RejectionKind.InvalidField, $"Field '{AwsValues.Quote(path, 256)}' is invalid: {reason}.") { Field = path };
}
