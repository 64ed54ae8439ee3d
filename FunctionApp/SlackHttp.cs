using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SgBridge.Shared.Slack;

namespace SgBridge.FunctionApp;

/// <summary>What both Slack triggers answer: the one inbound result mapped the same way (a status; at 200 its JSON body, if any).</summary>
internal static class SlackHttp
{
    public static IActionResult From(DecisionResult result) =>
        result.StatusCode != StatusCodes.Status200OK ? new StatusCodeResult(result.StatusCode)
        : result.Body is { } json ? new ContentResult { Content = json.ToJsonString(), ContentType = "application/json", StatusCode = StatusCodes.Status200OK }
        : new OkResult();
}
