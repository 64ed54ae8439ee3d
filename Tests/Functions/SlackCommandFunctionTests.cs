using SgBridge.Shared.Slack;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.FunctionApp;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack.Requests;

namespace SgBridge.Tests.Functions;

/// <summary>The /sgbridge command function: its trigger as the host wires it (functions.metadata) and its HTTP mapping.</summary>
public class SlackCommandFunctionTests
{
    [Fact]
    public void Metadata_IsAnAnonymousPostOnTheCommandsRoute()
    {
        var path = Path.Combine(RepoRoot.FunctionAppOutput, "functions.metadata");
        var functions = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray();
        var trigger = functions.Single(f => f.GetProperty("name").GetString() == nameof(ReceiveSlackCommand))
            .GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(Routes.SlackCommands, trigger.GetProperty("route").GetString());
        Assert.Equal(["post"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    private static HttpRequest Post(RequestRig rig, string body, long? at = null, string? secret = null, long? contentLength = null)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Method = "POST";
        context.Request.Headers["X-Slack-Request-Timestamp"] = (at ?? rig.Now).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Request.Headers["X-Slack-Signature"] = rig.Sign(body, at, secret);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = contentLength ?? bytes.Length;
        return context.Request;
    }

    [Fact]
    public async Task Run_MapsTheAnswers()
    {
        var rig = new RequestRig();
        var function = new ReceiveSlackCommand(rig.Endpoint());
        Assert.IsType<OkResult>(await function.RunAsync(Post(rig, RequestPayloads.Command()), default));
        var help = Assert.IsType<ContentResult>(await function.RunAsync(Post(rig, RequestPayloads.Command("help")), default));
        Assert.Equal(("application/json", 200), (help.ContentType, help.StatusCode));
        Assert.Equal(RequestCommandHandler.Usage, (string?)System.Text.Json.Nodes.JsonNode.Parse(help.Content!)!["text"]);
        Assert.Equal(401, Assert.IsType<StatusCodeResult>(await function.RunAsync(Post(rig, RequestPayloads.Command(), secret: "wrong-secret"), default)).StatusCode);
        Assert.Equal(400, Assert.IsType<StatusCodeResult>(await function.RunAsync(Post(rig, RequestPayloads.Command(omit: "user_id")), default)).StatusCode);
        Assert.Equal(413, Assert.IsType<StatusCodeResult>(await function.RunAsync(Post(rig, RequestPayloads.Command(), contentLength: 20_000), default)).StatusCode);
    }
}
