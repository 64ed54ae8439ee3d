using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Slack;

namespace SgBridge.FunctionApp.Functions;

/// <summary>POST /api/slack/events: Slack's Events API (the Home tab opening). Anonymous for the host; Slack's request signature is the lock.</summary>
public sealed class ReceiveSlackEvent(SlackEndpoint endpoint)
{
    /// <summary>An app_home_opened event carries the tab's current view (up to 100 blocks); anything far larger is not from Slack.</summary>
    private const int MaxBodyBytes = 256 * 1024;

    [Function(nameof(ReceiveSlackEvent))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.SlackEvents)] HttpRequest req,
        CancellationToken cancellationToken)
    {
        var body = await HttpBody.ReadAsync(req, MaxBodyBytes, cancellationToken);
        if (body.Length > MaxBodyBytes)
        {
            return new StatusCodeResult(StatusCodes.Status413PayloadTooLarge);
        }
        return SlackHttp.From(await endpoint.HandleEventAsync(body, req.Headers[SlackRequestVerifier.TimestampHeader], req.Headers[SlackRequestVerifier.SignatureHeader],
            req.Headers[SlackEndpoint.RetryNumHeader], cancellationToken));
    }
}
