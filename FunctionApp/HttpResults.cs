using Microsoft.AspNetCore.Mvc;
using SgBridge.Shared.Intake;

namespace SgBridge.FunctionApp;

internal static class HttpResults
{
    /// <summary>Problems as application/problem+json (RFC 9457); acknowledgements as small JSON bodies.</summary>
    public static IActionResult From(IntakeResult result)
    {
        if (result.IsProblem)
        {
            var problem = new ProblemDetails { Status = result.StatusCode, Title = result.Title, Detail = result.Detail };
            if (result.EventId is not null)
            {
                problem.Extensions["eventId"] = result.EventId;
            }
            if (result.Field is not null)
            {
                problem.Extensions["field"] = result.Field;
            }
            var response = new ObjectResult(problem) { StatusCode = result.StatusCode, ContentTypes = { "application/problem+json" } };
            return result.RetryAfter is { } retry ? new RetryAfterResult(response, retry) : response;
        }
        return new ObjectResult(new { status = result.Title.ToLowerInvariant(), detail = result.Detail, requestId = result.RequestId, eventId = result.EventId })
        {
            StatusCode = result.StatusCode,
        };
    }

    private sealed class RetryAfterResult(ObjectResult inner, TimeSpan retryAfter) : IActionResult
    {
        public ObjectResult Inner => inner;

        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteResultAsync(context);
        }
    }
}
