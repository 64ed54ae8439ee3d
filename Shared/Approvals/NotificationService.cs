using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Brings Slack in line with the requests, from the notifications queue (never from an HTTP path).
/// <para>
/// Every request is shown in a batch: changes by the same requester on the same group within
/// <see cref="SlackOptions.BatchWindow"/> share one approvers' message and one monitoring message (a batch of one is
/// the plain single-request message). The first change of a batch is posted at once; later changes update the shared
/// messages after <see cref="SlackOptions.BatchRenderDelay"/> and decisions after
/// <see cref="SlackOptions.BatchDecisionRenderDelay"/>, gathered into one chat.update per channel, with one threaded
/// reply listing the new outcomes. So a burst of a thousand changes becomes a few messages per group
/// instead of two thousand posts against Slack's one message per second per channel.
/// </para>
/// Messages are rendered from the stored requests, so notifications handled out of order still show the truth.
/// A Slack failure escapes so the queue retries; a rate limit reschedules the notification for when Slack allows it.
/// </summary>
public sealed partial class NotificationService(
    IRequestStore requests,
    IQueueSender queue,
    ISlackClient slack,
    ApproverDirectory directory,
    IOptions<SlackOptions> slackOptions,
    IOptions<PolicyOptions> policyOptions,
    TimeProvider time,
    ILogger<NotificationService> logger)
{
    private static readonly RequestStatus[] ThreadedOutcomes =
        [RequestStatus.RevertFailed, RequestStatus.Approved, RequestStatus.Denied, RequestStatus.Applied, RequestStatus.ApplyFailed, RequestStatus.Expired];

    private readonly SlackOptions _slack = slackOptions.Value;
    private readonly IReadOnlyDictionary<string, string> _aliases = policyOptions.Value.AccountAliasMap;

    public async Task NotifyAsync(RequestNotification notification, CancellationToken cancellationToken)
    {
        try
        {
            await HandleAsync(notification, cancellationToken);
        }
        catch (SlackRateLimitedException ex)
        {
            // Slack asked us to wait longer than the client waits inline: come back then, without spending a retry.
            LogRateLimited(logger, notification.RequestId, ex.RetryAfter);
            await queue.SendAsync(QueueNames.Notifications, notification, ex.RetryAfter, cancellationToken);
        }
    }

    private async Task HandleAsync(RequestNotification notification, CancellationToken ct)
    {
        var stored = await requests.GetAsync(notification.RequestId, ct);
        if (stored is null)
        {
            LogMissing(logger, notification.RequestId);
            return;
        }
        if (stored.Value.Status == RequestStatus.Reverting)
        {
            return;
        }
        if (notification.Render)
        {
            // A render already done by an earlier one, or rescheduled sooner, has nothing left to do.
            if (stored.Value.RenderScheduledFor is { } due && due == notification.DueAt)
            {
                await RenderAsync(stored.Value.Id, ct);
            }
            return;
        }
        if (stored.Value.BatchLeadId is null)
        {
            stored = await PlaceAsync(stored, ct);
        }
        var leadId = stored.Value.BatchLeadId!;
        var lead = leadId == stored.Value.Id ? stored : await requests.GetAsync(leadId, ct) ?? throw new InvalidOperationException($"Batch lead {leadId} is missing.");
        var delay = stored.Value.Status is RequestStatus.Pending or RequestStatus.Exempt ? _slack.BatchRenderDelay : _slack.BatchDecisionRenderDelay;
        if (lead.Value.MonitoringMessage is null || lead.Value.BatchMemberIds.Count == 1 || delay <= TimeSpan.Zero)
        {
            // The first sight of a batch is posted at once; a batch of one has nothing to gather.
            await RenderAsync(leadId, ct);
        }
        else
        {
            await ScheduleRenderAsync(lead, delay, ct);
        }
    }

    /// <summary>Puts a request into the open batch for its key, or starts a batch with it.</summary>
    private async Task<Stored<ChangeRequest>> PlaceAsync(Stored<ChangeRequest> stored, CancellationToken ct)
    {
        var request = stored.Value;
        if (_slack.BatchWindow > TimeSpan.Zero && request.Status != RequestStatus.RevertFailed)
        {
            var since = request.CreatedAt - _slack.BatchWindow;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var lead = await requests.FindBatchLeadAsync(request.BatchKey, since, ct);
                if (lead is null || lead.Value.Id == request.Id || lead.Value.BatchMemberIds.Count >= _slack.BatchMaxSize)
                {
                    break;
                }
                lead.Value.AddBatchMember(request.Id, time.GetUtcNow());
                try
                {
                    await requests.ReplaceAsync(lead.Value, lead.ETag, ct);
                }
                catch (ConcurrencyConflictException)
                {
                    continue;
                }
                var leadId = lead.Value.Id;
                return await RecordAsync(stored, r =>
                {
                    if (r.BatchLeadId is null)
                    {
                        r.JoinBatch(leadId, time.GetUtcNow());
                    }
                }, ct);
            }
        }
        return await RecordAsync(stored, r =>
        {
            if (r.BatchLeadId is null)
            {
                r.LeadBatch(time.GetUtcNow());
            }
        }, ct);
    }

    /// <summary>Asks for one render of the batch after <paramref name="delay"/>, unless one is already due by then.</summary>
    private async Task ScheduleRenderAsync(Stored<ChangeRequest> lead, TimeSpan delay, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var now = time.GetUtcNow();
            if (lead.Value.RenderScheduledFor is { } due && due > now && due <= now + delay)
            {
                return;
            }
            var at = now + delay;
            lead.Value.ScheduleRender(at, now);
            try
            {
                await requests.ReplaceAsync(lead.Value, lead.ETag, ct);
            }
            catch (ConcurrencyConflictException)
            {
                lead = await requests.GetAsync(lead.Value.Id, ct) ?? throw new InvalidOperationException($"Batch lead {lead.Value.Id} disappeared.");
                continue;
            }
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(lead.Value.Id, lead.Value.Status, Render: true, DueAt: at), delay, ct);
            return;
        }
        throw new ConcurrencyConflictException($"Could not schedule a render of batch {lead.Value.Id}.");
    }

    /// <summary>Posts or updates the batch's two messages and replies once with every outcome not yet told.</summary>
    private async Task RenderAsync(string leadId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var lead = await requests.GetAsync(leadId, ct) ?? throw new InvalidOperationException($"Batch lead {leadId} is missing.");
            var members = new List<Stored<ChangeRequest>> { lead };
            foreach (var id in lead.Value.BatchMemberIds.Where(id => id != leadId))
            {
                if (await requests.GetAsync(id, ct) is { Value.Status: not RequestStatus.Reverting } m)
                {
                    members.Add(m);
                }
            }
            var batch = members.Select(m => m.Value).ToList();
            var alias = _aliases.GetValueOrDefault(lead.Value.AccountId);
            var requester = await MentionAsync(lead.Value.Requester, ct);

            var monitoring = ApprovalMessageBuilder.ForMonitoring(batch, alias, requester);
            SlackMessageRef? newMonitoring = null, newApprover = null;
            if (lead.Value.MonitoringMessage is { } mm)
            {
                await slack.UpdateMessageAsync(mm.Channel, mm.Ts, monitoring.Text, monitoring.Blocks, ct);
            }
            else
            {
                newMonitoring = await slack.PostMessageAsync(_slack.MonitoringChannel, monitoring.Text, monitoring.Blocks, null, ct);
                // Remember the message at once, so a retry after a later failure updates it instead of posting again.
                lead = await RecordAsync(lead, r => r.RecordSlackMessages(null, newMonitoring, time.GetUtcNow()), ct);
            }
            if (batch.Any(r => NeedsApprovers(r.Status)))
            {
                var approvers = ApprovalMessageBuilder.ForApprovers(batch, alias, requester);
                if (lead.Value.ApproverMessage is { } am)
                {
                    await slack.UpdateMessageAsync(am.Channel, am.Ts, approvers.Text, approvers.Blocks, ct);
                }
                else
                {
                    newApprover = await slack.PostMessageAsync(_slack.ApproversChannel, approvers.Text, approvers.Blocks, null, ct);
                    lead = await RecordAsync(lead, r => r.RecordSlackMessages(newApprover, null, time.GetUtcNow()), ct);
                }
            }

            var untold = members
                .SelectMany(m => ThreadedOutcomes.Where(s => Reached(m.Value, s) && !m.Value.NotifiedStatuses.Contains(s)).Select(s => (Member: m, Status: s)))
                .ToList();
            if (untold.Count > 0)
            {
                var thread = lead.Value.MonitoringMessage!;
                await slack.PostMessageAsync(thread.Channel, ApprovalMessageBuilder.OutcomeReply(untold.Select(u => (u.Member.Value, u.Status)).ToList()), null, thread.Ts, ct);
                foreach (var group in untold.GroupBy(u => u.Member.Value.Id))
                {
                    var member = group.Key == leadId ? lead : group.First().Member;
                    var told = await RecordAsync(member, r =>
                    {
                        foreach (var (_, status) in group)
                        {
                            r.MarkNotified(status, time.GetUtcNow());
                        }
                    }, ct);
                    if (group.Key == leadId)
                    {
                        lead = told;
                    }
                }
            }

            if (lead.Value.RenderScheduledFor is null)
            {
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            lead.Value.ScheduleRender(null, time.GetUtcNow());
            try
            {
                await requests.ReplaceAsync(lead.Value, lead.ETag, ct);
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 5)
            {
                // A change joined or was decided while rendering: render again so it is not left out.
            }
        }
    }

    /// <summary>The requester's Slack user for a mention; a failed look-up (e.g. a missing scope) only loses the mention.</summary>
    private async Task<string?> MentionAsync(Requester requester, CancellationToken ct)
    {
        try
        {
            return await directory.FindSlackUserAsync(requester, ct);
        }
        catch (SlackApiException ex)
        {
            LogLookupFailed(logger, ex.Error);
            return null;
        }
    }

    /// <summary>Outcomes a request passed through: an applied or failed request was approved first.</summary>
    private static bool Reached(ChangeRequest r, RequestStatus s) =>
        r.Status == s || (s == RequestStatus.Approved && r.Status is RequestStatus.Applied or RequestStatus.ApplyFailed);

    /// <summary>Approvers see a request once it can be decided, and keep seeing its fate.</summary>
    private static bool NeedsApprovers(RequestStatus status) => status is not (RequestStatus.Exempt or RequestStatus.RevertFailed or RequestStatus.Reverting);

    /// <summary>Applies <paramref name="change"/> to the stored request and writes it, through the one update primitive.</summary>
    private async Task<Stored<ChangeRequest>> RecordAsync(Stored<ChangeRequest> stored, Action<ChangeRequest> change, CancellationToken ct) =>
        (await requests.UpdateAsync(stored, r => { change(r); return true; }, ct)).Stored;

    [LoggerMessage(401, LogLevel.Warning, "Notify: request {ApprovalId} not found")]
    private static partial void LogMissing(ILogger logger, string approvalId);

    [LoggerMessage(402, LogLevel.Information, "Slack is up to date with batch {ApprovalId} ({Count} requests)")]
    private static partial void LogNotified(ILogger logger, string approvalId, int count);

    [LoggerMessage(404, LogLevel.Warning, "Could not match the requester to a Slack user ({Error}); posting without a mention")]
    private static partial void LogLookupFailed(ILogger logger, string error);

    [LoggerMessage(403, LogLevel.Warning, "Slack rate limit while notifying {ApprovalId}: trying again in {RetryAfter}")]
    private static partial void LogRateLimited(ILogger logger, string approvalId, TimeSpan retryAfter);
}
