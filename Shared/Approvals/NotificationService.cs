using System.Runtime.ExceptionServices;
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
/// reply listing the new outcomes.
/// </para>
/// <para>
/// Batch and message state lives in its own rows (<see cref="ISlackThreadStore"/>: a <see cref="SlackThread"/> per
/// batch, an <see cref="OpenBatch"/> pointer per batch key, a <see cref="ThreadMembership"/> per request), written
/// only here and only through <see cref="ConditionalUpdate"/>; request rows are never written by this service.
/// </para>
/// A refused message never hides a change: the approvers' and monitoring posts are independent, and a message Slack
/// refuses is replaced by a compact one (and, failing that, a notice in the monitoring channel). Other Slack failures
/// escape so the queue retries; a rate limit reschedules the notification for when Slack allows it.
/// </summary>
public sealed partial class NotificationService(
    IRequestStore requests,
    ISlackThreadStore threads,
    IQueueSender queue,
    ISlackClient slack,
    ApproverDirectory directory,
    RoutingService routing,
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
        ArgumentNullException.ThrowIfNull(notification);
        try
        {
            if (notification.BreakGlassBy is not null)
            {
                await routing.TellBreakGlassAsync(notification, cancellationToken);
                return;
            }
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
        if (notification.Render)
        {
            // A render already done by an earlier one, or rescheduled, has nothing left to do.
            var scheduled = await threads.GetAsync(SlackRows.Thread(notification.RequestId), ct);
            if (scheduled?.Value.RenderScheduledFor is { } due && due == notification.DueAt)
            {
                await RenderAsync(notification.RequestId, ct);
            }
            return;
        }
        var stored = await requests.GetAsync(notification.RequestId, ct);
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
        var leadId = (await threads.GetAsync(SlackRows.Member(request.Id), ct))?.Value.LeadId ?? await PlaceAsync(request, ct);
        var thread = (await threads.GetAsync(SlackRows.Thread(leadId), ct))?.Value
            ?? throw new InvalidOperationException($"Batch {leadId} of request {request.Id} is missing.");
        var delay = request.Status is RequestStatus.Pending or RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported
            ? _slack.BatchRenderDelay
            : _slack.BatchDecisionRenderDelay;
        if (thread.MonitoringMessage is null || (NeedsApprovers(request.Status) && thread.ApproverMessage is null)
            || thread.MemberIds.Count == 1 || delay <= TimeSpan.Zero)
        {
            // The first sight of a batch is posted at once; a batch of one has nothing to gather.
            await RenderAsync(leadId, ct);
        }
        else
        {
            await ScheduleRenderAsync(leadId, request.Status, delay, ct);
        }
    }

    /// <summary>Puts a request into the open batch for its key (a point read of the key's pointer), or starts a batch with it.</summary>
    private async Task<string> PlaceAsync(ChangeRequest request, CancellationToken ct)
    {
        var key = SlackRows.BatchKey(request);
        if (_slack.BatchWindow > TimeSpan.Zero && request.Status != RequestStatus.RevertFailed)
        {
            for (var attempt = 0; attempt < ConditionalUpdate.MaxAttempts; attempt++)
            {
                var open = await threads.GetAsync(SlackRows.Open(key), ct);
                if (open is { Value: var o } && o.LeadId != request.Id && o.OpenedAt >= request.CreatedAt - _slack.BatchWindow)
                {
                    var joined = await threads.UpdateAsync(SlackRows.Thread(o.LeadId), t =>
                        t is null || t.MemberIds.Contains(request.Id) || t.MemberIds.Count >= _slack.BatchMaxSize ? null : t with { MemberIds = [.. t.MemberIds, request.Id] }, ct);
                    if (joined.Value?.MemberIds.Contains(request.Id) == true)
                    {
                        return await RecordMembershipAsync(request.Id, o.LeadId, ct);
                    }
                }
                await StartThreadAsync(request, key, ct);
                try
                {
                    // Claim the key for the new batch, unless someone else opened one since the read: then try to join theirs.
                    await threads.WriteAsync(SlackRows.Open(key), new OpenBatch(request.Id, request.CreatedAt), open?.ETag, ct);
                    break;
                }
                catch (ConcurrencyConflictException)
                {
                }
            }
        }
        await StartThreadAsync(request, key, ct);
        return await RecordMembershipAsync(request.Id, request.Id, ct);
    }

    private Task StartThreadAsync(ChangeRequest request, string key, CancellationToken ct) =>
        threads.UpdateAsync(SlackRows.Thread(request.Id), t => t is null ? SlackThread.Start(request.Id, key, request.CreatedAt) : null, ct);

    private async Task<string> RecordMembershipAsync(string requestId, string leadId, CancellationToken ct) =>
        (await threads.UpdateAsync(SlackRows.Member(requestId), m => m is null ? new ThreadMembership(leadId) : null, ct)).Value!.LeadId;

    /// <summary>Asks for one render of the batch after <paramref name="delay"/>, unless one is already due by then.</summary>
    private async Task ScheduleRenderAsync(string leadId, RequestStatus status, TimeSpan delay, CancellationToken ct)
    {
        var at = default(DateTimeOffset);
        var update = await threads.UpdateAsync(SlackRows.Thread(leadId), t =>
        {
            var now = time.GetUtcNow();
            if (t is null || (t.RenderScheduledFor is { } due && due > now && due <= now + delay))
            {
                return null;
            }
            at = now + delay;
            return t with { RenderScheduledFor = at };
        }, ct);
        if (update.Written)
        {
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(leadId, status, Render: true, DueAt: at), delay, ct);
        }
    }

    /// <summary>Posts or updates the batch's two messages and replies once with every outcome not yet told.</summary>
    private async Task RenderAsync(string leadId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var thread = await threads.GetAsync(SlackRows.Thread(leadId), ct) ?? throw new InvalidOperationException($"Batch {leadId} is missing.");
            var batch = new List<ChangeRequest>();
            foreach (var id in thread.Value.MemberIds)
            {
                if (await requests.GetAsync(id, ct) is { Value.Status: not RequestStatus.Reverting } m)
                {
                    batch.Add(m.Value);
                }
            }
            if (batch.Count == 0)
            {
                return;
            }
            var alias = _aliases.GetValueOrDefault(batch[0].AccountId);
            var identity = await ResolveAsync(batch[0].Requester, ct);
            var requester = identity?.SlackUserId;
            UnresolvedRequesterPolicy? unresolved = identity is { IsResolved: false } ? _slack.UnresolvedRequester : null;
            // The route (channels, recorded for the clicks) and the approvers' message with the group's blast radius.
            var routed = await routing.PrepareAsync(leadId, batch, batch.Any(r => NeedsApprovers(r.Status)), alias, requester, unresolved, ct);

            // The two channels do not depend on each other: a failure in one is kept and thrown after the other was tried.
            ExceptionDispatchInfo? failure = null;
            if (batch.Any(r => NeedsApprovers(r.Status)))
            {
                try
                {
                    thread = await ShowAsync(thread, batch, routed.Route, approvers: true, routed.ApproverMessage!, alias, ct);
                }
                catch (Exception ex) when (ex is not SlackRateLimitedException and not OperationCanceledException)
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
            }
            try
            {
                thread = await ShowAsync(thread, batch, routed.Route, approvers: false, ApprovalMessageBuilder.ForMonitoring(batch, alias, requester), alias, ct);
            }
            catch (Exception ex) when (ex is not SlackRateLimitedException and not OperationCanceledException)
            {
                failure ??= ExceptionDispatchInfo.Capture(ex);
            }

            thread = await ReplyOutcomesAsync(thread, batch, ct);
            failure?.Throw();

            if (thread.Value.RenderScheduledFor is null)
            {
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            try
            {
                await threads.WriteAsync(SlackRows.Thread(leadId), thread.Value with { RenderScheduledFor = null }, thread.ETag, ct);
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 5)
            {
                // A change joined or a render was scheduled while rendering: render again so it is not left out.
            }
        }
    }

    /// <summary>One threaded reply under the monitoring message with every outcome not yet told, then remembers them.</summary>
    private async Task<Stored<SlackThread>> ReplyOutcomesAsync(Stored<SlackThread> thread, IReadOnlyList<ChangeRequest> batch, CancellationToken ct)
    {
        if (thread.Value.MonitoringMessage is not { } monitoring)
        {
            return thread;
        }
        var untold = batch
            .SelectMany(m => ThreadedOutcomes.Where(s => Reached(m, s) && !thread.Value.NotifiedOf(m.Id).Contains(s)).Select(s => (Request: m, Status: s)))
            .ToList();
        if (untold.Count == 0)
        {
            return thread;
        }
        await slack.PostMessageAsync(monitoring.Channel, ApprovalMessageBuilder.OutcomeReply(untold), null, monitoring.Ts, ct);
        var told = await threads.UpdateAsync(SlackRows.Thread(thread.Value.LeadId), t =>
            t is null ? null : untold.GroupBy(u => u.Request.Id).Aggregate(t, (acc, g) => acc.WithNotified(g.Key, g.Select(u => u.Status))), ct);
        return told.Stored ?? thread;
    }

    /// <summary>
    /// Shows the batch in one channel. If Slack refuses the message (any error but a rate limit), a compact one takes
    /// its place; if that is refused too, the monitoring channel is told (approvers) or the failure is logged.
    /// </summary>
    private async Task<Stored<SlackThread>> ShowAsync(Stored<SlackThread> thread, IReadOnlyList<ChangeRequest> batch, ApprovalRoute route, bool approvers, SlackMessage message, string? alias, CancellationToken ct)
    {
        var channel = approvers ? route.ApproversChannel : route.MonitoringChannel;
        try
        {
            return await PostOrUpdateAsync(thread, approvers, channel, message, ct);
        }
        catch (SlackApiException refused)
        {
            LogRefused(logger, refused, thread.Value.LeadId, channel, refused.Error);
            try
            {
                return await PostOrUpdateAsync(thread, approvers, channel, ApprovalMessageBuilder.Compact(batch, alias, withButtons: approvers, refused.Error), ct);
            }
            catch (SlackApiException again)
            {
                LogCompactRefused(logger, again, thread.Value.LeadId, channel, again.Error);
                if (approvers)
                {
                    await TellMonitoringAsync(batch, route.MonitoringChannel, again.Error, ct);
                }
                return thread;
            }
        }
    }

    private async Task TellMonitoringAsync(IReadOnlyList<ChangeRequest> batch, string channel, string error, CancellationToken ct)
    {
        try
        {
            await slack.PostMessageAsync(channel, ApprovalMessageBuilder.RefusedNotice(batch, error), null, null, ct);
        }
        catch (Exception ex) when (ex is SlackApiException or HttpRequestException)
        {
            LogNobodyTold(logger, ex, batch[0].Id, batch.Count);
        }
    }

    private async Task<Stored<SlackThread>> PostOrUpdateAsync(Stored<SlackThread> thread, bool approvers, string channel, SlackMessage message, CancellationToken ct)
    {
        if ((approvers ? thread.Value.ApproverMessage : thread.Value.MonitoringMessage) is { } existing)
        {
            await slack.UpdateMessageAsync(existing.Channel, existing.Ts, message.Text, message.Blocks, ct);
            return thread;
        }
        var posted = await slack.PostMessageAsync(channel, message.Text, message.Blocks, null, ct);
        // Remember the message at once, so a retry after a later failure updates it instead of posting again.
        var recorded = await threads.UpdateAsync(SlackRows.Thread(thread.Value.LeadId), t =>
            t is null ? null
            : approvers ? (t.ApproverMessage is null ? t with { ApproverMessage = posted } : null)
            : (t.MonitoringMessage is null ? t with { MonitoringMessage = posted } : null), ct);
        return recorded.Stored ?? thread;
    }

    /// <summary>
    /// The requester's Slack user, for a mention and to tell approvers when it is unknown; a failed look-up (e.g. a
    /// missing scope) only loses the mention (null: not known whether the requester can be resolved).
    /// </summary>
    private async Task<RequesterIdentity?> ResolveAsync(Requester requester, CancellationToken ct)
    {
        try
        {
            return await directory.ResolveRequesterAsync(requester, ct);
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

    /// <summary>Approvers see a request once it can be decided, and keep seeing its fate; monitoring-only states never reach them.</summary>
    private static bool NeedsApprovers(RequestStatus status) =>
        status is not (RequestStatus.Exempt or RequestStatus.RevertFailed or RequestStatus.Reverting or RequestStatus.Unmatched or RequestStatus.Reported);

    [LoggerMessage(401, LogLevel.Warning, "Notify: request {RequestId} not found")]
    private static partial void LogMissing(ILogger logger, string requestId);

    [LoggerMessage(402, LogLevel.Information, "Slack is up to date with batch {RequestId} ({Count} requests)")]
    private static partial void LogNotified(ILogger logger, string requestId, int count);

    [LoggerMessage(404, LogLevel.Warning, "Could not match the requester to a Slack user ({Error}); posting without a mention")]
    private static partial void LogLookupFailed(ILogger logger, string error);

    [LoggerMessage(403, LogLevel.Warning, "Slack rate limit while notifying {RequestId}: trying again in {RetryAfter}")]
    private static partial void LogRateLimited(ILogger logger, string requestId, TimeSpan retryAfter);

    [LoggerMessage(405, LogLevel.Error, "Slack refused the message for batch {RequestId} in {Channel} ({Error}); sending a compact one")]
    private static partial void LogRefused(ILogger logger, Exception exception, string requestId, string channel, string error);

    [LoggerMessage(406, LogLevel.Error, "Slack refused even the compact message for batch {RequestId} in {Channel} ({Error})")]
    private static partial void LogCompactRefused(ILogger logger, Exception exception, string requestId, string channel, string error);

    [LoggerMessage(407, LogLevel.Critical, "No approver was told about batch {RequestId} ({Count} requests): Slack refused every message and the monitoring notice")]
    private static partial void LogNobodyTold(ILogger logger, Exception exception, string requestId, int count);
}
