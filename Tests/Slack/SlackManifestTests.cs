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
        // SlackClient is partial: every SlackClient*.cs file.
        var source = string.Concat(Directory.GetFiles(Path.Combine(RepoRoot.Path, "Shared", "SlackApi"), "SlackClient*.cs").Select(File.ReadAllText));
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

    [Fact]
    public void Manifest_SlashCommandPointsAtTheCommandRoute()
    {
        var command = (YamlMappingNode)((YamlSequenceNode)Manifest()["features"]["slash_commands"]).Single();
        Assert.Equal("/sgbridge", ((YamlScalarNode)command["command"]).Value);
        Assert.EndsWith("/api/" + Routes.SlackCommands, ((YamlScalarNode)command["url"]).Value, StringComparison.Ordinal);
        Assert.Equal("false", ((YamlScalarNode)command["should_escape"]).Value);
    }

    [Fact]
    public void Manifest_ShortcutIsGlobalWithTheModalsCallbackId()
    {
        var shortcut = (YamlMappingNode)((YamlSequenceNode)Manifest()["features"]["shortcuts"]).Single();
        Assert.Equal("global", ((YamlScalarNode)shortcut["type"]).Value);
        Assert.Equal(SgBridge.Shared.Slack.Requests.RequestBlocks.RequestCallback, ((YamlScalarNode)shortcut["callback_id"]).Value);
    }

    [Fact]
    public void Manifest_CommandsFeaturesAskForTheCommandsScope() =>
        Assert.All(SlackScopes.ByFeature, f => Assert.Equal(["commands"], f.Value));

    [GeneratedRegex("\"((?:chat|users|usergroups|views|conversations)\\.[A-Za-z.]+)\"")]
    private static partial Regex MethodName();
}
