using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Brings Slack in line with a request, from the notifications queue (never from an HTTP path): posts the approvers'
/// and the monitoring message the first time, then updates both and replies under the monitoring message with each
/// outcome. Messages are rendered from the stored request, so notifications handled out of order still show the truth.
/// A Slack failure escapes so the queue retries; the request itself is safe in Table Storage meanwhile.
/// </summary>
public sealed partial class NotificationService(
    IRequestStore requests,
    ISlackClient slack,
    ApproverDirectory directory,
    IOptions<SlackOptions> slackOptions,
    IOptions<PolicyOptions> policyOptions,
    TimeProvider time,
    ILogger<NotificationService> logger)
{
    private static readonly RequestStatus[] ThreadedOutcomes =
        [RequestStatus.RevertFailed, RequestStatus.Approved, RequestStatus.Denied, RequestStatus.Applied, RequestStatus.Failed, RequestStatus.Expired];

    private readonly SlackOptions _slack = slackOptions.Value;
    private readonly IReadOnlyDictionary<string, string> _aliases = policyOptions.Value.AccountAliasMap;

    public async Task NotifyAsync(RequestNotification notification, CancellationToken cancellationToken)
    {
        var stored = await requests.GetAsync(notification.RequestId, cancellationToken);
        if (stored is null)
        {
            LogMissing(logger, notification.RequestId);
            return;
        }
        var request = stored.Value;
        if (request.Status == RequestStatus.Reverting)
        {
            return;
        }
        var alias = _aliases.GetValueOrDefault(request.AccountId);
        var requester = await directory.FindSlackUserAsync(request.Requester, cancellationToken);

        var monitoring = ApprovalMessageBuilder.ForMonitoring(request, alias, requester);
        SlackMessageRef? newMonitoring = null, newApprover = null;
        if (request.MonitoringMessage is { } m)
        {
            await slack.UpdateMessageAsync(m.Channel, m.Ts, monitoring.Text, monitoring.Blocks, cancellationToken);
        }
        else
        {
            newMonitoring = await slack.PostMessageAsync(_slack.MonitoringChannel, monitoring.Text, monitoring.Blocks, null, cancellationToken);
        }

        if (NeedsApprovers(request.Status))
        {
            var approvers = ApprovalMessageBuilder.ForApprovers(request, alias, requester);
            if (request.ApproverMessage is { } a)
            {
                await slack.UpdateMessageAsync(a.Channel, a.Ts, approvers.Text, approvers.Blocks, cancellationToken);
            }
            else
            {
                newApprover = await slack.PostMessageAsync(_slack.ApproversChannel, approvers.Text, approvers.Blocks, null, cancellationToken);
            }
        }

        var thread = newMonitoring ?? request.MonitoringMessage!;
        var reply = ThreadedOutcomes.Contains(notification.Status) && !request.NotifiedStatuses.Contains(notification.Status);
        if (reply)
        {
            await slack.PostMessageAsync(thread.Channel, ApprovalMessageBuilder.OutcomeReply(request, notification.Status), null, thread.Ts, cancellationToken);
        }

        if (newMonitoring is not null || newApprover is not null || reply)
        {
            await RecordAsync(stored, newApprover, newMonitoring, reply ? notification.Status : null, cancellationToken);
        }
        LogNotified(logger, request.Id, request.Status);
    }

    /// <summary>Approvers see a request once it has been reverted and can be decided, and keep seeing its fate.</summary>
    private static bool NeedsApprovers(RequestStatus status) => status is not (RequestStatus.Exempt or RequestStatus.RevertFailed or RequestStatus.Reverting);

    private async Task RecordAsync(Stored<ChangeRequest> stored, SlackMessageRef? approver, SlackMessageRef? monitoring, RequestStatus? notified, CancellationToken ct)
    {
        // Other writers (a click, the apply) may have moved the request on: re-read and re-apply only our fields.
        for (var attempt = 0; ; attempt++)
        {
            var request = stored.Value;
            request.RecordSlackMessages(approver, monitoring, time.GetUtcNow());
            if (notified is { } s)
            {
                request.MarkNotified(s, time.GetUtcNow());
            }
            try
            {
                await requests.UpdateAsync(request, stored.ETag, ct);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                stored = await requests.GetAsync(request.Id, ct) ?? throw new InvalidOperationException($"Request {request.Id} disappeared.");
            }
        }
    }

    [LoggerMessage(401, LogLevel.Warning, "Notify: request {ApprovalId} not found")]
    private static partial void LogMissing(ILogger logger, string approvalId);

    [LoggerMessage(402, LogLevel.Information, "Slack is up to date with request {ApprovalId} ({Status})")]
    private static partial void LogNotified(ILogger logger, string approvalId, RequestStatus status);
}
