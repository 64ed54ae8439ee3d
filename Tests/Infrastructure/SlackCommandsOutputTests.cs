using SgBridge.FunctionApp;

namespace SgBridge.Tests.Infrastructure;

public sealed class SlackCommandsOutputTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    [Fact]
    public void Outputs_Main_ExposeTheSlashCommandUrl()
    {
        var outputs = fixture.Template["outputs"]!.AsObject();
        Assert.Contains($"/api/{Routes.SlackCommands}", (string?)outputs["SLACK_COMMANDS_URL"]!["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_Main_ExposeTheEventsUrl_TheManifestSubscribesThere()
    {
        var outputs = fixture.Template["outputs"]!.AsObject();
        Assert.Contains($"/api/{Routes.SlackEvents}", (string?)outputs["SLACK_EVENTS_URL"]!["value"], StringComparison.Ordinal);
    }
}
