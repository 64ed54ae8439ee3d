using SgBridge.Shared.Domain;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Slack;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Slack;

public sealed class SlackClientTests : IDisposable
{
    private const string JsonContentType = "application/json; charset=utf-8";
    private const string FormContentType = "application/x-www-form-urlencoded";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http;
    private readonly RecordingDelayTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public SlackClientTests()
    {
        _http = new HttpClient { BaseAddress = new Uri(_server.Url + "/api/") };
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private SlackClient CreateClient(Action<SlackOptions>? configure = null) =>
        new(_http, SlackTestOptions.Wrap(SlackTestOptions.Create(configure)), _time, NullLogger<SlackClient>.Instance);

    private void Respond(string method, int status, string body, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        _server.Given(Request.Create().WithPath("/api/" + method).UsingPost()).RespondWith(response);
    }

    private ILogEntry[] Requests(string method) =>
        _server.LogEntries.Where(e => e.RequestMessage.Path == "/api/" + method).ToArray();

    private static string Header(ILogEntry entry, string name) =>
        string.Join(",", entry.RequestMessage.Headers!.First(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value);

    private static void AssertJsonBody(string expectedJson, ILogEntry entry)
    {
        var expected = JsonNode.Parse(expectedJson);
        var actual = JsonNode.Parse(entry.RequestMessage.Body!);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Expected {expected?.ToJsonString()} but sent {actual?.ToJsonString()}");
    }

    private static void AssertCommonHeaders(ILogEntry entry, string contentType)
    {
        Assert.Equal("POST", entry.RequestMessage.Method);
        Assert.Equal("Bearer " + SlackTestOptions.BotToken, Header(entry, "Authorization"));
        Assert.Equal(contentType, Header(entry, "Content-Type"), ignoreCase: true);
    }

    [Fact]
    public async Task PostMessageAsync_WithBlocksAndThread_SendsJsonWithBearerToken()
    {
        Respond("chat.postMessage", 200, """{"ok":true,"channel":"C0APPROVERS","ts":"1712345678.000100","message":{}}""");
        var blocks = new JsonArray(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = "*sg-123*" } });

        var result = await CreateClient().PostMessageAsync("C0APPROVERS", "Rule reverted", blocks, "1712340000.000200", CancellationToken.None);

        Assert.Equal(new SlackMessageRef("C0APPROVERS", "1712345678.000100"), result);
        var entry = Assert.Single(Requests("chat.postMessage"));
        AssertCommonHeaders(entry, JsonContentType);
        AssertJsonBody("""
            {"channel":"C0APPROVERS","text":"Rule reverted",
             "blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*sg-123*"}}],
             "thread_ts":"1712340000.000200"}
            """, entry);
    }

    [Fact]
    public async Task PostMessageAsync_WithoutBlocksOrThread_OmitsThoseFields()
    {
        Respond("chat.postMessage", 200, """{"ok":true,"channel":"C0MONITOR","ts":"1.2"}""");

        await CreateClient().PostMessageAsync("C0MONITOR", "hello", null, null, CancellationToken.None);

        AssertJsonBody("""{"channel":"C0MONITOR","text":"hello"}""", Assert.Single(Requests("chat.postMessage")));
    }

    [Fact]
    public async Task PostMessageAsync_BlocksArrayReusedAcrossCalls_SendsItEachTime()
    {
        Respond("chat.postMessage", 200, """{"ok":true,"channel":"C1","ts":"1.2"}""");
        var blocks = new JsonArray(new JsonObject { ["type"] = "divider" });
        var client = CreateClient();

        await client.PostMessageAsync("C1", "a", blocks, null, CancellationToken.None);
        await client.PostMessageAsync("C1", "b", blocks, null, CancellationToken.None);

        Assert.Equal(2, Requests("chat.postMessage").Length);
    }

    [Fact]
    public async Task UpdateMessageAsync_Always_SendsChannelTsTextAndBlocks()
    {
        Respond("chat.update", 200, """{"ok":true,"channel":"C0APPROVERS","ts":"1712345678.000100","text":"Approved"}""");
        var blocks = new JsonArray(new JsonObject { ["type"] = "divider" });

        var result = await CreateClient().UpdateMessageAsync("C0APPROVERS", "1712345678.000100", "Approved", blocks, CancellationToken.None);

        Assert.Equal(new SlackMessageRef("C0APPROVERS", "1712345678.000100"), result);
        var entry = Assert.Single(Requests("chat.update"));
        AssertCommonHeaders(entry, JsonContentType);
        AssertJsonBody("""{"channel":"C0APPROVERS","ts":"1712345678.000100","text":"Approved","blocks":[{"type":"divider"}]}""", entry);
    }

    [Fact]
    public async Task PostEphemeralAsync_Always_SendsChannelUserAndText()
    {
        Respond("chat.postEphemeral", 200, """{"ok":true,"message_ts":"1502210682.580145"}""");

        await CreateClient().PostEphemeralAsync("C0APPROVERS", "U999", "You are not an approver.", CancellationToken.None);

        var entry = Assert.Single(Requests("chat.postEphemeral"));
        AssertCommonHeaders(entry, JsonContentType);
        AssertJsonBody("""{"channel":"C0APPROVERS","user":"U999","text":"You are not an approver."}""", entry);
    }

    [Fact]
    public async Task GetUserGroupMembersAsync_Always_SendsFormEncodedUsergroupAndReturnsUsers()
    {
        Respond("usergroups.users.list", 200, """{"ok":true,"users":["U060R4BJ4","W123A4BC5"]}""");

        var users = await CreateClient().GetUserGroupMembersAsync("S0604QSJC", CancellationToken.None);

        Assert.Equal(["U060R4BJ4", "W123A4BC5"], users);
        var entry = Assert.Single(Requests("usergroups.users.list"));
        AssertCommonHeaders(entry, FormContentType);
        Assert.Equal("usergroup=S0604QSJC", entry.RequestMessage.Body);
    }

    [Fact]
    public async Task LookupUserByEmailAsync_KnownUser_SendsFormEncodedEmailAndReturnsId()
    {
        Respond("users.lookupByEmail", 200, """{"ok":true,"user":{"id":"W012A3CDE","name":"spengler"}}""");

        var id = await CreateClient().LookupUserByEmailAsync("spengler@ghostbusters.example.com", CancellationToken.None);

        Assert.Equal("W012A3CDE", id);
        var entry = Assert.Single(Requests("users.lookupByEmail"));
        AssertCommonHeaders(entry, FormContentType);
        Assert.Equal("email=spengler%40ghostbusters.example.com", entry.RequestMessage.Body);
    }

    [Fact]
    public async Task LookupUserByEmailAsync_UsersNotFound_ReturnsNull()
    {
        Respond("users.lookupByEmail", 200, """{"ok":false,"error":"users_not_found"}""");

        var id = await CreateClient().LookupUserByEmailAsync("nobody@example.com", CancellationToken.None);

        Assert.Null(id);
    }

    [Fact]
    public async Task LookupUserByEmailAsync_OtherError_ThrowsSlackApiException()
    {
        Respond("users.lookupByEmail", 200, """{"ok":false,"error":"missing_scope","needed":"users:read.email"}""");

        var ex = await Assert.ThrowsAsync<SlackApiException>(
            () => CreateClient().LookupUserByEmailAsync("a@example.com", CancellationToken.None));

        Assert.Equal("missing_scope", ex.Error);
        Assert.Equal("users.lookupByEmail", ex.Method);
    }

    [Theory]
    [InlineData("channel_not_found")]
    [InlineData("not_in_channel")]
    [InlineData("invalid_auth")]
    public async Task PostMessageAsync_OkFalse_ThrowsSlackApiExceptionWithCode(string error)
    {
        Respond("chat.postMessage", 200, $$"""{"ok":false,"error":"{{error}}"}""");

        var ex = await Assert.ThrowsAsync<SlackApiException>(
            () => CreateClient().PostMessageAsync("C404", "x", null, null, CancellationToken.None));

        Assert.Equal(error, ex.Error);
        Assert.Equal("chat.postMessage", ex.Method);
        Assert.DoesNotContain(SlackTestOptions.BotToken, ex.Message);
        Assert.Single(Requests("chat.postMessage"));
    }

    [Fact]
    public async Task PostMessageAsync_RateLimitedOnceThenOk_RetriesOnceAfterRetryAfter()
    {
        var request = Request.Create().WithPath("/api/chat.postMessage").UsingPost();
        _server.Given(request).AtPriority(2).InScenario("rate").WillSetStateTo("limited")
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "7").WithBody("""{"ok":false,"error":"ratelimited"}"""));
        _server.Given(request).AtPriority(1).InScenario("rate").WhenStateIs("limited")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"ok":true,"channel":"C1","ts":"1.2"}"""));

        var result = await CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None);

        Assert.Equal("1.2", result.Ts);
        Assert.Equal(2, Requests("chat.postMessage").Length);
        Assert.Equal([TimeSpan.FromSeconds(7)], _time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_AlwaysRateLimited_ThrowsSlackRateLimitedExceptionAfterMaxRetries()
    {
        Respond("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", ("Retry-After", "2"));

        var ex = await Assert.ThrowsAsync<SlackRateLimitedException>(
            () => CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(2), ex.RetryAfter);
        Assert.Equal("chat.postMessage", ex.Method);
        Assert.Equal(4, Requests("chat.postMessage").Length); // first attempt + 3 retries
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(2), 3), _time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_RetryAfterLongerThanMaxRetryDelay_ThrowsWithoutWaiting()
    {
        Respond("chat.postMessage", 429, "{}", ("Retry-After", "120"));

        var ex = await Assert.ThrowsAsync<SlackRateLimitedException>(
            () => CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Single(Requests("chat.postMessage"));
        Assert.Empty(_time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_ServerErrorOnceThenOk_RetriesAfterBackoff()
    {
        var request = Request.Create().WithPath("/api/chat.postMessage").UsingPost();
        _server.Given(request).AtPriority(2).InScenario("5xx").WillSetStateTo("failed")
            .RespondWith(Response.Create().WithStatusCode(503));
        _server.Given(request).AtPriority(1).InScenario("5xx").WhenStateIs("failed")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"ok":true,"channel":"C1","ts":"1.2"}"""));

        var result = await CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None);

        Assert.Equal("1.2", result.Ts);
        Assert.Equal(2, Requests("chat.postMessage").Length);
        Assert.Equal([TimeSpan.FromSeconds(1)], _time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_AlwaysServerError_ThrowsHttpRequestExceptionAfterExponentialBackoff()
    {
        Respond("chat.postMessage", 500, "oops");

        var ex = await Assert.ThrowsAsync<HttpRequestException>(
            () => CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal(4, Requests("chat.postMessage").Length);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], _time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_ClientError_ThrowsWithoutRetry()
    {
        Respond("chat.postMessage", 400, "bad");

        var ex = await Assert.ThrowsAsync<HttpRequestException>(
            () => CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Single(Requests("chat.postMessage"));
        Assert.Empty(_time.Delays);
    }

    [Fact]
    public async Task PostMessageAsync_OkWithNonJsonBody_ThrowsHttpRequestException()
    {
        Respond("chat.postMessage", 200, "<html>proxy</html>");

        await Assert.ThrowsAsync<HttpRequestException>(
            () => CreateClient().PostMessageAsync("C1", "x", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task PostMessageAsync_MaxRetriesZero_DoesNotRetry()
    {
        Respond("chat.postMessage", 429, "{}", ("Retry-After", "1"));

        await Assert.ThrowsAsync<SlackRateLimitedException>(
            () => CreateClient(o => o.MaxRetries = 0).PostMessageAsync("C1", "x", null, null, CancellationToken.None));

        Assert.Single(Requests("chat.postMessage"));
    }
}
