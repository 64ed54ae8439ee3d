using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Slack;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Slack;

public class SlackServiceCollectionExtensionsTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static Dictionary<string, string?> ValidSettings(string baseUrl = "https://slack.com/api/") => new()
    {
        ["Slack:BotToken"] = "xoxb-di",
        ["Slack:SigningSecret"] = "secret",
        ["Slack:ApproversChannel"] = "C1",
        ["Slack:MonitoringChannel"] = "C2",
        ["Slack:ApproverUserGroupIds"] = "S1",
        ["Slack:BaseUrl"] = baseUrl,
    };

    [Fact]
    public void AddSgBridgeSlack_ValidConfiguration_ResolvesServices()
    {
        var services = new ServiceCollection().AddSgBridgeSlack(Config(ValidSettings()));
        using var provider = services.BuildServiceProvider(validateScopes: true);

        Assert.NotNull(provider.GetRequiredService<SlackRequestVerifier>());
        Assert.NotNull(provider.GetRequiredService<ModalSeal>());
        Assert.IsType<SlackClient>(provider.GetRequiredService<ISlackClient>());
        Assert.Equal(["S1"], provider.GetRequiredService<IOptions<SlackOptions>>().Value.GetApproverUserGroupIds());
    }

    [Fact]
    public async Task AddSgBridgeSlack_BaseUrlWithoutTrailingSlash_ClientCallsMethodUnderBaseUrl()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/api/chat.postMessage").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"ok":true,"channel":"C1","ts":"9.9"}"""));
        var services = new ServiceCollection().AddSgBridgeSlack(Config(ValidSettings(server.Url + "/api")));
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<ISlackClient>().PostMessageAsync("C1", "hi", null, null, CancellationToken.None);

        Assert.Equal("9.9", result.Ts);
        var entry = Assert.Single(server.LogEntries);
        Assert.Equal("Bearer xoxb-di", string.Join(",", entry.RequestMessage.Headers!["Authorization"]));
    }

    [Fact]
    public async Task AddSgBridgeSlack_MissingSettings_FailsOnStartNamingSettings()
    {
        var settings = ValidSettings();
        settings.Remove("Slack:SigningSecret");
        settings.Remove("Slack:ApproverUserGroupIds");
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSgBridgeSlack(builder.Configuration);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Slack:SigningSecret is required.", ex.Message);
        Assert.Contains("Slack:ApproverUserIds or Slack:ApproverUserGroupIds must list at least one approver", ex.Message);
    }
}
