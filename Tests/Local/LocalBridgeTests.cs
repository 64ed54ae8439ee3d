using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using SgBridge.FunctionApp;
using SgBridge.Local;
using SgBridge.Local.Demo;
using SgBridge.Local.Slack;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Local;

/// <summary>The local host: the app's functions on their routes and triggers, the function key, the signed click path, the whole loop.</summary>
[Collection(LocalCollection.Name), Trait("Category", "Integration")]
public sealed class LocalBridgeTests(LocalBridgeFixture fixture)
{
    private LocalBridge Bridge => fixture.Bridge;

    [Fact]
    public void Functions_AreEveryFunctionOfTheApp_WithTheTriggerItsAttributeNames()
    {
        var declared = typeof(Routes).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(declared, Bridge.Functions.Select(f => f.Name).ToArray());
        var intake = Bridge.Functions.Single(f => f.Name == "ReceiveAwsEvent");
        Assert.Equal((TriggerKind.Http, Routes.AwsEvents, AuthorizationLevel.Function), (intake.Kind, intake.Route, intake.AuthLevel));
        Assert.Equal(["POST"], intake.HttpMethods);
        Assert.Equal("sgbridge-effects", Bridge.Functions.Single(f => f.Name == "PerformEffects").QueueName);
        Assert.Equal("sgbridge-effects-poison", Bridge.Functions.Single(f => f.Name == "EffectsPoison").QueueName);
        Assert.Equal("0 */15 * * * *", Bridge.Functions.Single(f => f.Name == "ExpireStaleRequests").Schedule);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task AwsEvents_WithoutTheFunctionKey_Answers401AndStoresNothing(string? key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Bridge.AwsEventsUrl)
        {
            Content = new StringContent(await File.ReadAllTextAsync(RepoRoot.Sample("authorize-ssh-from-internet.json")), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add(Routes.FunctionKeyHeader, key);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AwsEvents_WithTheKeyInTheQuery_ReachesTheIntake()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(Bridge.AwsEventsUrl + "?code=" + Bridge.FunctionKey),
            new StringContent("{\"not\":\"an event\"}", Encoding.UTF8, "application/json"));

        // The intake itself answers: a problem naming what is wrong with the event, as application/problem+json.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SlackInteractions_IsAnonymousForTheHost_ButAForgedSignatureIsRefused()
    {
        using var http = new HttpClient();
        var body = "payload=" + Uri.EscapeDataString("{\"type\":\"block_actions\"}");
        using var request = new HttpRequestMessage(HttpMethod.Post, Bridge.SlackInteractionsUrl) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        request.Headers.Add("X-Slack-Request-Timestamp", ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Slack-Signature", SlackClicks.Sign("not-the-signing-secret", ts, body));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Demo_Approve_RevertsAsksAppliesAndUpdatesTheMessage()
    {
        var story = new DemoStory(Bridge, TextWriter.Null);

        await story.SetUpAsync(CancellationToken.None);
        await story.MakeRiskyChangeAsync(CancellationToken.None);
        await story.WaitForRevertAsync(CancellationToken.None);
        await story.DecideAsync(approve: true, CancellationToken.None);
        await story.WaitForOutcomeAsync(approved: true, CancellationToken.None);

        Assert.All(story.Steps, s => Assert.True(s.Happened, $"{s.Name}: {s.Detail}"));
        Assert.Equal(RequestStatus.Applied, await story.StatusAsync(CancellationToken.None));
        Assert.True(await story.HasRiskyRuleAsync(CancellationToken.None));
        var message = story.ApproverMessage()!;
        Assert.Null(story.FindButton(message, ActionIds.ApproveFor));
        Assert.Null(story.FindButton(message, ActionIds.Deny));
    }

    [Fact]
    public async Task Click_FromANonApprover_IsAcceptedBySlackButChangesNothing()
    {
        var story = new DemoStory(Bridge, TextWriter.Null);
        await story.SetUpAsync(CancellationToken.None);
        await story.MakeRiskyChangeAsync(CancellationToken.None);
        await story.WaitForRevertAsync(CancellationToken.None);
        var message = story.ApproverMessage()!;
        var click = story.ClickFor(message, ActionIds.ApproveFor, "UREQUESTER")!;

        var answer = await Bridge.Clicks.SendAsync(click, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(200, answer.Status);
        Assert.Equal(RequestStatus.Pending, await story.StatusAsync(CancellationToken.None));
        Assert.False(await story.HasRiskyRuleAsync(CancellationToken.None));
        // The person is told, as Slack shows it: an ephemeral message only they see.
        Assert.Contains(Bridge.Slack.Messages, m => m.EphemeralUser == "UREQUESTER" && m.Channel == message.Channel);
    }

    [Fact]
    public async Task PageState_ShowsTheMessagesAndTheEmulatedGroups()
    {
        using var http = new HttpClient();

        var page = await http.GetStringAsync(Bridge.BaseUrl);
        var state = JsonNode.Parse(await http.GetStringAsync(new Uri(Bridge.BaseUrl, "page/state")))!;

        Assert.Contains("/page/app.js", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Equal(LocalBridge.ApproversChannel, (string?)state["channels"]![0]!["id"]);
        Assert.Equal(["UAPPROVER1", "UAPPROVER2", "UREQUESTER"], state["users"]!.AsArray().Select(u => (string)u!["id"]!).ToArray());
        Assert.NotNull(state["aws"]);
    }
}
