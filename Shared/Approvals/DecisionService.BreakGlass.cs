using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

public sealed partial class DecisionService
{
    /// <summary>
    /// A break-glass user approved their own change: counted (<c>sgbridge.break_glass</c>), logged as a warning, and the
    /// monitoring channel is told loudly from the notifications queue (no Slack post on the click's path).
    /// </summary>
    private async Task BreakGlassAsync(ChangeRequest decided, string slackUserId, CancellationToken ct)
    {
        routing.CountBreakGlass(decided);
        LogBreakGlass(logger, slackUserId, decided.Id, decided.AccountId, decided.GroupId);
        await queue.SendAsync(QueueNames.Notifications, new RequestNotification(decided.Id, decided.Status, BreakGlassBy: slackUserId), ct);
    }

    [LoggerMessage(312, LogLevel.Warning, "BREAK-GLASS: Slack user {SlackUserId} approved their own request {RequestId} ({AccountId}, {GroupId})")]
    private static partial void LogBreakGlass(ILogger logger, string slackUserId, string requestId, string accountId, string? groupId);
}
