using System.Diagnostics;
using SgBridge.Shared.Intake;

namespace SgBridge.Shared.Telemetry;

/// <summary>
/// The intake's span: where a request's trace begins in the bridge. The change is queued inside it, so the queue
/// message carries this span's context (<see cref="Storage.StorageQueueSender"/>) and the revert worker continues the
/// trace. Tagged with the answer's status and the event and request ids; a 5xx answer marks it failed.
/// </summary>
public static class IntakeTrace
{
    public const string Operation = "ReceiveAwsEvent";

    public static async Task<IntakeResult> AcceptAsync(EventIntake intake, ReadOnlyMemory<byte> body, string? contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intake);
        using var activity = BridgeTelemetry.Source.StartActivity(Operation, ActivityKind.Internal);
        try
        {
            var result = await intake.AcceptAsync(body, contentType, cancellationToken).ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag(TelemetryTags.HttpStatus, result.StatusCode);
                activity.SetTag(TelemetryTags.EventId, result.EventId);
                activity.SetTag(TelemetryTags.RequestId, result.RequestId);
                if (result.StatusCode >= 500)
                {
                    activity.SetStatus(ActivityStatusCode.Error, result.Title);
                }
            }
            return result;
        }
        catch (Exception ex)
        {
            SpanFailure.Mark(activity, ex);
            throw;
        }
    }
}
