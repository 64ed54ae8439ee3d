using System.Text.RegularExpressions;
using SgBridge.FunctionApp;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using YamlDotNet.RepresentationModel;

namespace SgBridge.Tests.Slack;

public partial class SlackManifestTests
{
    private static YamlMappingNode Manifest()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "slack-app-manifest.yaml"))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    [Fact]
    public void Manifest_AsksForExactlyTheScopesTheClientUses()
    {
        var bot = (YamlSequenceNode)Manifest()["oauth_config"]["scopes"]["bot"];
        Assert.Equal(SlackScopes.All.Order(), bot.Select(n => ((YamlScalarNode)n).Value!).Order());
    }

    [Fact]
    public void Manifest_EveryClientMethodHasItsScopes()
    {
        // Every Web API method the client calls appears in SlackScopes.
        var source = File.ReadAllText(Path.Combine(RepoRoot.Path, "Shared", "Slack", "SlackClient.cs"));
        var methods = MethodName().Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.NotEmpty(methods);
        Assert.Subset(SlackScopes.ByMethod.Keys.ToHashSet(), methods);
    }

    [Fact]
    public void Manifest_InteractivityPointsAtTheSlackRoute()
    {
        var interactivity = Manifest()["settings"]["interactivity"];
        Assert.Equal("true", ((YamlScalarNode)interactivity["is_enabled"]).Value);
        Assert.EndsWith("/api/" + Routes.SlackInteractions, ((YamlScalarNode)interactivity["request_url"]).Value, StringComparison.Ordinal);
    }

    [GeneratedRegex("\"((?:chat|users|usergroups)\\.[A-Za-z.]+)\"")]
    private static partial Regex MethodName();
}
