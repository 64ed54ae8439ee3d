using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace SgBridge.FunctionApp.Functions;

public sealed class Ping
{
    [Function(nameof(Ping))]
    public IActionResult RunAsync([HttpTrigger(AuthorizationLevel.Function, "post", Route = "aws/events")] HttpRequest req) => new OkResult();

    [Function("Q")]
    public void Q([QueueTrigger("sgbridge-events", Connection = "AzureWebJobsStorage")] string msg) { }
}
