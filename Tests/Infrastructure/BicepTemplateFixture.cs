using System.Text.Json.Nodes;

namespace SgBridge.Tests.Infrastructure;

/// <summary>Builds bicep/main.bicep once per test class and exposes the ARM JSON.</summary>
public sealed class BicepTemplateFixture : IAsyncLifetime
{
    public const string MainFile = "bicep/main.bicep";

    private JsonObject? _template;

    internal BicepResult Build { get; private set; } = new(-1, "", "");

    public JsonObject Template => _template ?? throw new InvalidOperationException($"bicep build failed: {Build}");

    public async Task InitializeAsync()
    {
        Build = await BicepCli.RunAsync(["build", MainFile, "--stdout"]);
        if (Build.ExitCode == 0)
        {
            _template = JsonNode.Parse(Build.StandardOutput)!.AsObject();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Resources of a template; languageVersion 2.0 keys them by symbolic name, 1.0 lists them.</summary>
    public static IEnumerable<(string Symbol, JsonObject Resource)> Resources(JsonObject template) =>
        template["resources"] switch
        {
            JsonObject byName => byName.Select(p => (p.Key, p.Value!.AsObject())),
            JsonArray list => list.Select((r, i) => ((string?)r!["name"] ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture), r.AsObject())),
            _ => [],
        };

    /// <summary>A module deployment of main.bicep by its symbolic name.</summary>
    public JsonObject Module(string symbol) =>
        Resources(Template).Single(r => r.Symbol == symbol && (string?)r.Resource["type"] == "Microsoft.Resources/deployments").Resource;

    public JsonObject ModuleTemplate(string symbol) => Module(symbol)["properties"]!["template"]!.AsObject();

    /// <summary>main.bicep and every nested module template.</summary>
    public IEnumerable<(string Name, JsonObject Template)> AllTemplates()
    {
        var pending = new Queue<(string, JsonObject)>([("main", Template)]);
        while (pending.Count > 0)
        {
            var (name, template) = pending.Dequeue();
            yield return (name, template);
            foreach (var (symbol, resource) in Resources(template))
            {
                if (resource["properties"]?["template"] is JsonObject nested)
                {
                    pending.Enqueue(($"{name}/{symbol}", nested));
                }
            }
        }
    }

    /// <summary>Resolves "[variables('x')]" to the variable's value in the given template; other values are returned as they are.</summary>
    public static JsonNode? ResolveVariable(JsonObject template, JsonNode? value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s) && s.StartsWith("[variables('", StringComparison.Ordinal) && s.EndsWith("')]", StringComparison.Ordinal))
        {
            var name = s["[variables('".Length..^"')]".Length];
            return template["variables"]?[name];
        }

        return value;
    }
}
