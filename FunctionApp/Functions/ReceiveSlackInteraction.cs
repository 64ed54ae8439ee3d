using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Slack;

namespace SgBridge.FunctionApp.Functions;

/// <summary>POST /api/slack/interactions: Slack button clicks, the request shortcut and modal submissions. Anonymous for the host; Slack's request signature is the lock.</summary>
public sealed class ReceiveSlackInteraction(SlackEndpoint endpoint)
{
    /// <summary>Slack interaction payloads are small; anything larger is not from Slack.</summary>
    private const int MaxBodyBytes = 64 * 1024;

    [Function(nameof(ReceiveSlackInteraction))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.SlackInteractions)] HttpRequest req,
        CancellationToken cancellationToken)
    {
        var body = await HttpBody.ReadAsync(req, MaxBodyBytes, cancellationToken);
        if (body.Length > MaxBodyBytes)
        {
            return new StatusCodeResult(StatusCodes.Status413PayloadTooLarge);
        }
        return SlackHttp.From(await endpoint.HandleInteractionAsync(body, req.Headers[SlackRequestVerifier.TimestampHeader], req.Headers[SlackRequestVerifier.SignatureHeader], cancellationToken));
    }
}
