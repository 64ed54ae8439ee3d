using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Slack;

namespace SgBridge.FunctionApp.Functions;

/// <summary>POST /api/slack/commands: the /sgbridge slash command. Anonymous for the host; Slack's request signature is the lock.</summary>
public sealed class ReceiveSlackCommand(SlackEndpoint endpoint)
{
    /// <summary>Slash command bodies are a few hundred bytes; anything larger is not from Slack.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    [Function(nameof(ReceiveSlackCommand))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.SlackCommands)] HttpRequest req,
        CancellationToken cancellationToken)
    {
        var body = await HttpBody.ReadAsync(req, MaxBodyBytes, cancellationToken);
        if (body.Length > MaxBodyBytes)
        {
            return new StatusCodeResult(StatusCodes.Status413PayloadTooLarge);
        }
        return SlackHttp.From(await endpoint.HandleCommandAsync(body, req.Headers[SlackRequestVerifier.TimestampHeader], req.Headers[SlackRequestVerifier.SignatureHeader], cancellationToken));
    }
}
