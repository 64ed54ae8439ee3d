using System.Diagnostics;

namespace SgBridge.Shared.Telemetry;

/// <summary>Marks a span failed with the exception as an event (OpenTelemetry's exception convention).</summary>
public static class SpanFailure
{
    public static void Mark(Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.AddException(exception);
    }
}
