using YamlDotNet.RepresentationModel;

namespace SgBridge.Tests.Infrastructure;

/// <summary>An intrinsic function written in CloudFormation's short form (!Ref x, !Sub '...'), as its long-form name.</summary>
internal sealed record CfnFunction(string Name, object? Argument);

/// <summary>
/// A CloudFormation YAML template as plain nodes: string scalars, ordered maps, lists and <see cref="CfnFunction"/>.
/// YamlDotNet does not know CloudFormation's short-form tags; each one is registered here as a node type, and any
/// other tag fails the load so a typo (!Sbu) cannot pass unnoticed.
/// </summary>
internal sealed class CloudFormationTemplate
{
    private static readonly Dictionary<string, string> ShortFormTags = new(StringComparer.Ordinal)
    {
        ["!Ref"] = "Ref",
        ["!Condition"] = "Condition",
        ["!Sub"] = "Fn::Sub",
        ["!GetAtt"] = "Fn::GetAtt",
        ["!If"] = "Fn::If",
        ["!Equals"] = "Fn::Equals",
        ["!Not"] = "Fn::Not",
        ["!And"] = "Fn::And",
        ["!Or"] = "Fn::Or",
        ["!Join"] = "Fn::Join",
        ["!Select"] = "Fn::Select",
        ["!Split"] = "Fn::Split",
        ["!FindInMap"] = "Fn::FindInMap",
        ["!ImportValue"] = "Fn::ImportValue",
        ["!Base64"] = "Fn::Base64",
        ["!GetAZs"] = "Fn::GetAZs",
        ["!Cidr"] = "Fn::Cidr",
    };

    private CloudFormationTemplate(string file, string text, Dictionary<string, object?> root)
    {
        File = file;
        Text = text;
        Root = root;
    }

    public string File { get; }

    public string Text { get; }

    public Dictionary<string, object?> Root { get; }

    public Dictionary<string, object?> Parameters => Section("Parameters");

    public Dictionary<string, object?> Resources => Section("Resources");

    public Dictionary<string, object?> Conditions => Section("Conditions");

    public static CloudFormationTemplate Load(string relativePath)
    {
        var text = RepoPaths.ReadText(relativePath);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = Convert(stream.Documents.Single().RootNode) as Dictionary<string, object?>
            ?? throw new InvalidOperationException($"{relativePath} is not a YAML mapping.");
        return new CloudFormationTemplate(relativePath, text, root);
    }

    public Dictionary<string, object?> Section(string name) => Root.TryGetValue(name, out var section) && section is Dictionary<string, object?> map ? map : [];

    public IEnumerable<(string Name, Dictionary<string, object?> Resource)> ResourcesOfType(string type) =>
        Resources.Select(r => (r.Key, (Dictionary<string, object?>)r.Value!)).Where(r => Equals(r.Item2["Type"], type));

    public (string Name, Dictionary<string, object?> Resource) SingleResource(string type) => ResourcesOfType(type).Single();

    /// <summary>Every node of the template, depth first (maps, lists, functions and scalars).</summary>
    public IEnumerable<object?> Descendants() => Walk(Root);

    public static IEnumerable<object?> Walk(object? node)
    {
        yield return node;
        var children = node switch
        {
            Dictionary<string, object?> map => map.Values,
            List<object?> list => list,
            CfnFunction function => [function.Argument],
            _ => Enumerable.Empty<object?>(),
        };
        foreach (var child in children)
        {
            foreach (var descendant in Walk(child))
            {
                yield return descendant;
            }
        }
    }

    private static object? Convert(YamlNode node)
    {
        object? value = node switch
        {
            YamlScalarNode scalar => scalar.Value,
            YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
            YamlMappingNode mapping => mapping.Children.ToDictionary(
                c => ((YamlScalarNode)c.Key).Value ?? "",
                c => Convert(c.Value),
                StringComparer.Ordinal),
            _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType} at {node.Start}."),
        };

        if (node.Tag.IsEmpty || node.Tag.Value is "!" or "tag:yaml.org,2002:str")
        {
            return value;
        }

        return ShortFormTags.TryGetValue(node.Tag.Value, out var name)
            ? new CfnFunction(name, value)
            : throw new InvalidOperationException($"Unknown YAML tag {node.Tag.Value} at {node.Start}.");
    }
}

internal static class CfnNode
{
    public static Dictionary<string, object?> Map(this object? node, string key) =>
        (node as Dictionary<string, object?>)?.GetValueOrDefault(key) as Dictionary<string, object?>
        ?? throw new InvalidOperationException($"No map at '{key}'.");

    public static object? Get(this object? node, string key) => (node as Dictionary<string, object?>)?.GetValueOrDefault(key);

    /// <summary>A string or a list of strings (IAM Action/Resource style) as a list.</summary>
    public static List<object?> AsList(this object? node) => node switch
    {
        List<object?> list => list,
        null => [],
        _ => [node],
    };

    public static List<string> Strings(this object? node) => node.AsList().Select(n => n as string ?? throw new InvalidOperationException($"Expected a string, got {n}.")).ToList();
}
