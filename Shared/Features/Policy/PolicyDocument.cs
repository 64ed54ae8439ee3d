using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SgBridge.Shared.Policy;

/// <summary>A node of a policy file, YAML or JSON alike, with the line it starts on (1-based).</summary>
public abstract record PolicyNode(int Line);

public sealed record PolicyScalar(int Line, string? Value) : PolicyNode(Line);

public sealed record PolicyList(int Line, IReadOnlyList<PolicyNode> Items) : PolicyNode(Line);

public sealed record PolicyMap(int Line, IReadOnlyList<(string Key, int KeyLine, PolicyNode Value)> Entries) : PolicyNode(Line);

/// <summary>One thing wrong with a policy file: where (file and line) and what.</summary>
public sealed record PolicyError(string Source, int Line, string Message)
{
    /// <summary>"policy.yaml line 12: …"; errors about the file as a whole (line 0) name only the file.</summary>
    public override string ToString() => Line > 0 ? $"{Source} line {Line}: {Message}" : $"{Source}: {Message}";
}

/// <summary>The policy file could not be used; every error names the file and the line.</summary>
public sealed class PolicyFileException(IReadOnlyList<PolicyError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}

/// <summary>Reads a policy file (.json as JSON, else YAML) into <see cref="PolicyNode"/>s that remember their lines.</summary>
public static class PolicyDocument
{
    public static PolicyNode Parse(string text, string source) =>
        source.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ParseJson(text, source) : ParseYaml(text, source);

    private static PolicyNode ParseYaml(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new PolicyFileException([new PolicyError(source, (int)Math.Max(1, ex.Start.Line), "not valid YAML: " + (ex.InnerException as YamlException ?? ex).Message)]);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser throws this bare (no position) for an unclosed flow sequence or mapping ("[a, b" at the
            // end of the file): name the line of the bracket left open instead of a stack trace.
            throw new PolicyFileException([new PolicyError(source, UnclosedFlowLine(text),
                "not valid YAML: a '[' or '{' is never closed (" + ex.Message + ")")]);
        }
        return stream.Documents switch
        {
            [] => throw new PolicyFileException([new PolicyError(source, 1, "the file is empty: write 'rules:' with a list of rules")]),
            [var only] => FromYaml(only.RootNode, source),
            [_, var second, ..] => throw new PolicyFileException([new PolicyError(source, (int)second.RootNode.Start.Line, "the file holds several YAML documents; write one")]),
        };
    }

    /// <summary>The 1-based line of the first '[' or '{' (outside quotes and comments) never closed; the last line if none is found.</summary>
    internal static int UnclosedFlowLine(string text)
    {
        var open = new Stack<int>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            char? quote = null;
            foreach (var c in lines[i])
            {
                if (quote is not null)
                {
                    if (c == quote) quote = null;
                    continue;
                }
                if (c is '"' or '\'') quote = c;
                else if (c == '#') break;
                else if (c is '[' or '{') open.Push(i + 1);
                else if (c is ']' or '}' && open.Count > 0) open.Pop();
            }
        }
        return open.Count > 0 ? open.Last() : Math.Max(1, lines.Length);
    }

    private static PolicyNode FromYaml(YamlNode node, string source)
    {
        var line = (int)node.Start.Line;
        switch (node)
        {
            case YamlScalarNode s:
                // An unquoted ~, null or empty value is YAML's null.
                var isNull = s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");
                return new PolicyScalar(line, isNull ? null : s.Value);
            case YamlSequenceNode q:
                return new PolicyList(line, q.Children.Select(c => FromYaml(c, source)).ToArray());
            case YamlMappingNode m:
                var entries = new List<(string, int, PolicyNode)>();
                foreach (var (k, v) in m.Children)
                {
                    if (k is not YamlScalarNode key || key.Value is null)
                    {
                        throw new PolicyFileException([new PolicyError(source, (int)k.Start.Line, "a key must be a plain name")]);
                    }
                    Unique(entries, key.Value, (int)k.Start.Line, source);
                    entries.Add((key.Value, (int)k.Start.Line, FromYaml(v, source)));
                }
                return new PolicyMap(line, entries);
            default:
                throw new PolicyFileException([new PolicyError(source, line, "YAML aliases and tags are not supported in a policy file")]);
        }
    }

    private static PolicyNode ParseJson(string text, string source)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false, MaxDepth = 32 });
        try
        {
            if (!reader.Read())
            {
                throw new PolicyFileException([new PolicyError(source, 1, "the file is empty: write {\"rules\": [...]}")]);
            }
            var root = ReadJson(ref reader, bytes, source);
            if (reader.Read())
            {
                throw new PolicyFileException([new PolicyError(source, LineOf(bytes, reader.TokenStartIndex), "unexpected content after the end of the policy")]);
            }
            return root;
        }
        catch (JsonException ex)
        {
            // Utf8JsonReader's own errors carry a 0-based line number.
            throw new PolicyFileException([new PolicyError(source, (int)(ex.LineNumber ?? 0) + 1, "not valid JSON: " + ex.Message)]);
        }
    }

    private static PolicyNode ReadJson(ref Utf8JsonReader reader, byte[] bytes, string source)
    {
        var line = LineOf(bytes, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var entries = new List<(string, int, PolicyNode)>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    var keyLine = LineOf(bytes, reader.TokenStartIndex);
                    Unique(entries, key, keyLine, source);
                    reader.Read();
                    entries.Add((key, keyLine, ReadJson(ref reader, bytes, source)));
                }
                return new PolicyMap(line, entries);
            case JsonTokenType.StartArray:
                var items = new List<PolicyNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadJson(ref reader, bytes, source));
                }
                return new PolicyList(line, items);
            case JsonTokenType.String:
                return new PolicyScalar(line, reader.GetString());
            case JsonTokenType.Number:
                return new PolicyScalar(line, Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.True or JsonTokenType.False:
                return new PolicyScalar(line, reader.GetBoolean() ? "true" : "false");
            default:
                return new PolicyScalar(line, null);
        }
    }

    private static int LineOf(byte[] bytes, long index) => bytes.AsSpan(0, (int)Math.Min(index, bytes.Length)).Count((byte)'\n') + 1;

    private static void Unique(List<(string Key, int, PolicyNode)> entries, string key, int line, string source)
    {
        if (entries.Any(e => e.Key == key))
        {
            throw new PolicyFileException([new PolicyError(source, line, $"the key '{key}' appears twice")]);
        }
    }
}
