using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Tells people about time-bound access: the requester (a direct message, where the requester maps to a Slack user)
/// when access is granted (with "Ask to extend") and when it ends; the request's monitoring thread when it ends or
/// cannot be ended. A Slack failure here never undoes or holds up the access change: it is logged and counted
/// (<c>sgbridge.failures{kind=access_notice}</c>); the request's status and its re-rendered messages still show it.
/// </summary>
public sealed partial class AccessNotifier(
    ISlackClient slack,
    ISlackThreadStore threads,
    ApproverDirectory approvers,
    IOptions<SlackOptions> options,
    ILogger<AccessNotifier> logger,
    BridgeTelemetry? telemetry = null,
    IRequestStore? requests = null)
{
    public async Task AccessGrantedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = ApprovalMessageBuilder.AccessGranted(request);
        await SafelyAsync(request.Id, async ct =>
        {
            if (await approvers.FindSlackUserAsync(request.Requester, ct) is { } user)
            {
                await slack.PostMessageAsync(user, message.Text, message.Blocks, null, ct);
            }
        }, cancellationToken);
    }

    public async Task AccessEndedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = ApprovalMessageBuilder.AccessEndedText(request);
        await SafelyAsync(request.Id, async ct =>
        {
            var monitoring = await MonitoringThreadAsync(request, request.Id, ct);
            await slack.PostMessageAsync(monitoring?.Channel ?? options.Value.MonitoringChannel, text, null, monitoring?.Ts, ct);
        }, cancellationToken);
        await SafelyAsync(request.Id, async ct =>
        {
            if (await approvers.FindSlackUserAsync(request.Requester, ct) is { } user)
            {
                await slack.PostMessageAsync(user, text, null, null, ct);
            }
        }, cancellationToken);
    }

    public async Task AccessEndFailedAsync(AccessExpiryEntry entry, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = ApprovalMessageBuilder.AccessEndFailedText(entry, reason);
        await SafelyAsync(entry.RequestId, async ct =>
        {
            var monitoring = await MonitoringThreadAsync(null, entry.RequestId, ct);
            await slack.PostMessageAsync(monitoring?.Channel ?? options.Value.MonitoringChannel, text, null, monitoring?.Ts, ct);
        }, cancellationToken);
    }

    /// <summary>The monitoring message of the batch showing the request (its rows are found from the request; without it, the previous layout's).</summary>
    private async Task<SlackMessageRef?> MonitoringThreadAsync(ChangeRequest? request, string requestId, CancellationToken ct)
    {
        request ??= requests is null ? null : (await requests.GetAsync(requestId, ct))?.Value;
        if (request is not null)
        {
            return (await threads.FindBatchOfAsync(request, ct))?.Thread?.Value.MonitoringMessage;
        }
        var member = await threads.GetAsync(SlackRows.Member(requestId), ct);
        return member is null ? null : (await threads.GetAsync(SlackRows.Thread(member.Value.LeadId), ct))?.Value.MonitoringMessage;
    }

    private async Task SafelyAsync(string requestId, Func<CancellationToken, Task> send, CancellationToken ct)
    {
        try
        {
            await send(ct);
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogNoticeFailed(logger, ex, requestId);
            telemetry?.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "access_notice"));
        }
    }

    [LoggerMessage(1321, LogLevel.Warning, "Could not tell Slack about the access of request {RequestId}")]
    private static partial void LogNoticeFailed(ILogger logger, Exception exception, string requestId);
}
