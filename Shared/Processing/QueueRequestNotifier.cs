using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>A request changed: tell Slack, from a queue of its own so that a Slack outage never holds up a revert.</summary>
/// <summary>
/// A request changed, or (<paramref name="Render"/>) a batch's Slack messages are due for the debounced update
/// scheduled for <paramref name="DueAt"/> (superseded when the batch's schedule says otherwise), or
/// (<paramref name="BreakGlassBy"/>) the loud notice that this Slack user approved their own change (break-glass).
/// </summary>
public sealed record RequestNotification(string RequestId, RequestStatus Status, bool Render = false, DateTimeOffset? DueAt = null, string? BreakGlassBy = null);

public sealed class QueueRequestNotifier(IQueueSender queue) : IRequestNotifier
{
    public Task RequestChangedAsync(ChangeRequest request, CancellationToken cancellationToken) =>
        queue.SendAsync(QueueNames.Notifications, new RequestNotification(request.Id, request.Status), cancellationToken);
}
