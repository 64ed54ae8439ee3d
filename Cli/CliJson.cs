using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;

namespace SgBridge.Cli;

/// <summary>
/// The one JSON schema of every verb's <c>--json</c> (docs/cli.md, "JSON output"): an object with
/// <c>"schema": "sgbridge/v1"</c>, <c>"verb"</c> (e.g. "requests list"), <c>"ok"</c>, <c>"exit"</c> (the exit code),
/// then the verb's own fields, or <c>"error": {"kind", "message", "fix"}</c> when it failed. Fields are camelCase;
/// enums are strings; times ISO 8601 UTC. A field is only ever added within v1, never renamed or removed.
/// </summary>
public static class CliJson
{
    public const string Schema = "sgbridge/v1";

    /// <summary>"requests list": the command path without the root.</summary>
    public static string VerbPath(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var names = new List<string>();
        for (var r = parseResult.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Command is not RootCommand)
            {
                names.Insert(0, r.Command.Name);
            }
        }
        return string.Join(' ', names);
    }

    /// <summary>True when the command has a <c>--json</c> option and it was given.</summary>
    public static bool Requested(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.CommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--json") is { } json && parseResult.GetValue(json);
    }

    /// <summary>The document for a verb that ran: the envelope, then <paramref name="body"/>'s properties.</summary>
    public static string Document(string verb, int exit, object? body, JsonSerializerOptions? options = null)
    {
        options ??= BridgeJson.Options;
        var node = new JsonObject
        {
            ["schema"] = Schema,
            ["verb"] = verb,
            ["ok"] = exit == ExitCodes.Success,
            ["exit"] = exit,
        };
        if (body is not null && JsonSerializer.SerializeToNode(body, options) is JsonObject fields)
        {
            foreach (var (name, value) in fields.ToArray())
            {
                fields.Remove(name);
                node[name] = value;
            }
        }
        return node.ToJsonString(options);
    }

    /// <summary>The document for a verb that failed: the envelope and the error.</summary>
    public static string Error(string verb, CliError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new JsonObject
        {
            ["schema"] = Schema,
            ["verb"] = verb,
            ["ok"] = false,
            ["exit"] = error.Exit,
            ["error"] = new JsonObject { ["kind"] = error.Kind, ["message"] = error.Message, ["fix"] = error.Fix },
        }.ToJsonString(BridgeJson.Options);
    }
}
