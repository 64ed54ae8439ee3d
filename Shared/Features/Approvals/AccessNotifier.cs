using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Tells the requester (a DM) and the monitoring thread about time-bound access. Each notice is an effect the transition
/// raised: a Slack failure escapes, so the effect stays pending and is retried (an outage delays a notice, never loses it).
/// Only the expiry tick's failure alert (<see cref="AccessEndFailedAsync"/>) is posted directly, best effort.
/// </summary>
public sealed partial class AccessNotifier(
    ISlackClient slack,
    ISlackThreadStore threads,
    ApproverDirectory approvers,
    IRequestStore requests,
    IOptions<SlackOptions> options,
    ILogger<AccessNotifier> logger,
    BridgeTelemetry telemetry)
{
    /// <summary>The requester's DM that access was granted (nothing when the requester has no Slack user).</summary>
    public Task AccessGrantedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        var message = ApprovalMessageBuilder.AccessGranted(request);
        return ToRequesterAsync(request, message.Text, message.Blocks, cancellationToken);
    }

    /// <summary>"Access ended" in the request's monitoring thread (or the monitoring channel when it has none).</summary>
    public Task AccessEndedInThreadAsync(ChangeRequest request, CancellationToken cancellationToken) =>
        ToMonitoringAsync(request, request.Id, ApprovalMessageBuilder.AccessEndedText(request), cancellationToken);

    /// <summary>"Access ended" to the requester (nothing when the requester has no Slack user).</summary>
    public Task AccessEndedToRequesterAsync(ChangeRequest request, CancellationToken cancellationToken) =>
        ToRequesterAsync(request, ApprovalMessageBuilder.AccessEndedText(request), null, cancellationToken);

    private async Task ToRequesterAsync(ChangeRequest request, string text, System.Text.Json.Nodes.JsonArray? blocks, CancellationToken ct)
    {
        if (await approvers.FindSlackUserAsync(request.Requester, ct) is { } user)
        {
            await slack.PostMessageAsync(user, text, blocks, null, ct);
        }
    }

    public async Task AccessEndFailedAsync(AccessExpiryEntry entry, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await ToMonitoringAsync(null, entry.RequestId, ApprovalMessageBuilder.AccessEndFailedText(entry, reason), cancellationToken);
        }
        catch (Exception ex) when (SlackFailure.Is(ex, cancellationToken))
        {
            // The failure itself is logged Error by the expiry service and the row stays for the next tick.
            LogNoticeFailed(logger, ex, entry.RequestId);
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "access_notice"));
        }
    }

    /// <summary>Posts in the monitoring message of the batch showing the request (the monitoring channel when it has none).</summary>
    private async Task ToMonitoringAsync(ChangeRequest? request, string requestId, string text, CancellationToken ct)
    {
        request ??= (await requests.GetAsync(requestId, ct))?.Value;
        var monitoring = request is null ? null : (await threads.FindBatchOfAsync(request, ct))?.Thread?.Value.MonitoringMessage;
        await slack.PostMessageAsync(monitoring?.Channel ?? options.Value.MonitoringChannel, text, null, monitoring?.Ts, ct);
    }

    [LoggerMessage(1321, LogLevel.Warning, "Could not tell Slack about the access of request {RequestId}")]
    private static partial void LogNoticeFailed(ILogger logger, Exception exception, string requestId);
}
