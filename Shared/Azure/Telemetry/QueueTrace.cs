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
    /// <summary>
    /// Decodes the message and runs <paramref name="handler"/> on it inside the function's activity (null when nothing
    /// listens). An exception is recorded on the activity (status Error) and rethrown, so the host still retries and then
    /// poisons the message.
    /// </summary>
    public static async Task RunAsync<T>(QueueMessage message, string queueName, string operation, Func<T, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(handler);
        var content = QueuePayload.Read<T>(message.MessageText);
        var tags = new ActivityTagsCollection(TelemetryTags.For(content.Body))
        {
            [TelemetryTags.MessagingOperation] = "process",
            [TelemetryTags.MessagingDestination] = queueName,
            [TelemetryTags.MessagingMessageId] = message.MessageId,
            [TelemetryTags.DequeueCount] = message.DequeueCount,
        };
        using var activity = ActivityContext.TryParse(content.TraceParent, content.TraceState, isRemote: true, out var parent)
            ? BridgeTelemetry.Source.StartActivity(operation, ActivityKind.Consumer, parent, tags, Activity.Current is { } invocation ? [new ActivityLink(invocation.Context)] : null)
            : BridgeTelemetry.Source.StartActivity(operation, ActivityKind.Consumer, parentContext: default, tags);
        try
        {
            await handler(content.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SpanFailure.Mark(activity, ex);
            throw;
        }
    }
}
