using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>A request changed: tell Slack, from a queue of its own so that a Slack outage never holds up a revert.</summary>
/// <summary>
/// A request changed, or (<paramref name="Render"/>) a batch's Slack messages are due for the debounced update
/// scheduled for <paramref name="DueAt"/> (superseded when the batch's schedule says otherwise).
/// <paramref name="Request"/> is the request as the bridge has just stored it (so the notifier need not read it back);
/// absent when it would not fit in a queue message, and in messages written before it existed.
/// <paramref name="BreakGlassBy"/>: not a render but the loud notice that this Slack user approved their own change (break-glass).
/// <paramref name="Home"/>: with <paramref name="Render"/>, the home partition of the batch's rows; null in render
/// notifications queued before the home partition (their batch is read where the previous layout put it).
/// </summary>
public sealed record RequestNotification(string RequestId, RequestStatus Status, bool Render = false, DateTimeOffset? DueAt = null, ChangeRequest? Request = null, string? BreakGlassBy = null, string? Home = null);

public sealed class QueueRequestNotifier(IQueueSender queue) : IRequestNotifier
{
    public async Task RequestChangedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(request.Id, request.Status, Request: request), cancellationToken);
        }
        catch (QueueMessageTooLargeException)
        {
            // A request too large to carry is read back from the store by the notifier instead.
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(request.Id, request.Status), cancellationToken);
        }
    }
}
