using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Telemetry;

namespace SgBridge.FunctionApp.Functions;

/// <summary>POST /api/aws/events: one EventBridge event from an API destination (function key in x-functions-key).</summary>
public sealed class ReceiveAwsEvent(EventIntake intake)
{
    [Function(nameof(ReceiveAwsEvent))]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.AwsEvents)] HttpRequest req,
        CancellationToken cancellationToken)
    {
        var body = await HttpBody.ReadAsync(req, EventIntake.MaxBodyBytes, cancellationToken);
        var result = await IntakeTrace.AcceptAsync(intake, body, req.ContentType, cancellationToken);
        return HttpResults.From(result);
    }
}
