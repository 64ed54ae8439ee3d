using System.Diagnostics;
using Azure.Storage.Queues.Models;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Telemetry;

/// <summary>
/// Continues a request's trace in a queue function: the function's activity (a <see cref="ActivityKind.Consumer"/>
/// span named after the function) becomes the child of the span named by the message's <see cref="QueuePayload"/>
/// envelope, with the host's invocation activity as a link. A message without trace context starts under the current one.
/// </summary>
public static class QueueTrace
{
    /// <summary>Decodes the message and starts the function's activity; the caller disposes the activity (null when nothing listens).</summary>
    private static (T Payload, Activity? Activity) Start<T>(QueueMessage message, string queueName, string operation)
    {
        ArgumentNullException.ThrowIfNull(message);
        var content = QueuePayload.Read<T>(message.MessageText);
        var tags = new ActivityTagsCollection
        {
            [TelemetryTags.MessagingOperation] = "process",
            [TelemetryTags.MessagingDestination] = queueName,
            [TelemetryTags.MessagingMessageId] = message.MessageId,
            [TelemetryTags.DequeueCount] = message.DequeueCount,
        };
        foreach (var tag in TelemetryTags.For(content.Body))
        {
            tags[tag.Key] = tag.Value;
        }

        var activity = ActivityContext.TryParse(content.TraceParent, content.TraceState, isRemote: true, out var parent)
            ? BridgeTelemetry.Source.StartActivity(operation, ActivityKind.Consumer, parent, tags, Activity.Current is { } invocation ? [new ActivityLink(invocation.Context)] : null)
            : BridgeTelemetry.Source.StartActivity(operation, ActivityKind.Consumer, parentContext: default, tags);
        return (content.Body, activity);
    }

    /// <summary>
    /// Runs <paramref name="handler"/> on the decoded message inside the function's activity. An exception is recorded
    /// on the activity (status Error) and rethrown, so the host still retries and then poisons the message.
    /// </summary>
    public static async Task RunAsync<T>(QueueMessage message, string queueName, string operation, Func<T, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (payload, activity) = Start<T>(message, queueName, operation);
        using (activity)
        {
            try
            {
                await handler(payload, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                SpanFailure.Mark(activity, ex);
                throw;
            }
        }
    }
}
