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
/// only here and only by conditional writes (ETag or insert-if-absent); request rows are never written by this service.
/// </para>
/// <para>
/// Round trips (see docs/performance.md, "Notification path"): the notification carries the request as the worker
/// stored it, so a first sight reads no request; a new batch is one transaction (thread + membership rows, one
/// partition), one pointer claim and one write of the posted messages; a join is one conditional write of the batch
/// (membership and debounce together) and one membership insert. Conflicts, not reads, find earlier placements.
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
    ILogger<NotificationService> logger,
    IOptions<ApprovalsOptions>? approvals = null,
    RevertReasonService? reasons = null)
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
                await RenderAsync(scheduled, carried: null, ct);
            }
            return;
        }
        // The worker carries the request as it stored it; a notification without it (too large, or older) reads it.
        var request = notification.Request is { } carried && carried.Id == notification.RequestId
            ? carried
            : (await requests.GetAsync(notification.RequestId, ct))?.Value;
        if (request is null)
        {
            LogMissing(logger, notification.RequestId);
            return;
        }
        if (request.Status == RequestStatus.Reverting)
        {
            return;
        }
        var delay = request.Status is RequestStatus.Pending or RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported
            ? _slack.BatchRenderDelay
            : _slack.BatchDecisionRenderDelay;
        var placed = await FindOrPlaceAsync(request, delay, ct);
        if (reasons is not null && placed.First && request.WantsReason)
        {
            // Asked once: only the call whose membership insert placed the request asks (the insert is the claim, made
            // before the DM: a crash between them loses the DM, a redelivery never doubles it). Never throws for Slack.
            await reasons.AskAsync(request, ct);
        }
        if (placed.ScheduledFor is { } at)
        {
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(placed.Thread.Value.LeadId, request.Status, Render: true, DueAt: at), delay, ct);
        }
        else if (RendersNow(placed.Thread.Value, request.Status, delay))
        {
            // The first sight of a batch is posted at once; a batch of one has nothing to gather.
            await RenderAsync(placed.Thread, request, ct);
        }
        else
        {
            await ScheduleRenderAsync(placed.Thread, request.Status, delay, ct);
        }
    }

    /// <summary>
    /// The batch that shows the request. A first notice goes straight to placement (which finds an earlier placement by
    /// its conflicts); a later state reads the request's membership (a point read) and places it only if it has none.
    /// </summary>
    private async Task<Placement> FindOrPlaceAsync(ChangeRequest request, TimeSpan delay, CancellationToken ct)
    {
        if (!NotificationState.IsFirstNotice(request.Status) && await threads.GetAsync(SlackRows.Member(request.Id), ct) is { } member)
        {
            return new Placement(await ThreadAsync(member.Value.LeadId, request.Id, ct));
        }
        return await PlaceAsync(request, delay, ct);
    }

    /// <summary>
    /// Puts a request into the open batch for its key (a point read of the key's pointer), or starts a batch with it:
    /// its thread and membership rows in one transaction, then the key's pointer claimed with the ETag it was read at.
    /// </summary>
    private async Task<Placement> PlaceAsync(ChangeRequest request, TimeSpan delay, CancellationToken ct)
    {
        var key = SlackRows.BatchKey(request);
        var batching = _slack.BatchWindow > TimeSpan.Zero && request.Status != RequestStatus.RevertFailed;
        var open = batching ? await threads.GetAsync(SlackRows.Open(key), ct) : null;
        if (Joinable(open, request) is { } lead && await JoinAsync(request, lead, delay, movingMember: null, ct) is { } joined)
        {
            return joined;
        }
        var (started, memberETag, placedBefore) = await StartAsync(request, key, ct);
        if (placedBefore is not null || !batching)
        {
            return placedBefore ?? started;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Claim the key for the new batch, unless someone else opened one since the read.
                await threads.WriteAsync(SlackRows.Open(key), new OpenBatch(request.Id, request.CreatedAt), open?.ETag, ct);
                return started;
            }
            catch (ConcurrencyConflictException) when (attempt < ConditionalUpdate.MaxAttempts)
            {
                open = await threads.GetAsync(SlackRows.Open(key), ct);
                if (open?.Value.LeadId == request.Id)
                {
                    return started;
                }
                // Nothing was posted for our batch yet: join theirs instead (our thread row is left unused).
                if (Joinable(open, request) is { } theirs && await JoinAsync(request, theirs, delay, memberETag, ct) is { } moved)
                {
                    return moved;
                }
            }
        }
    }

    private string? Joinable(Stored<OpenBatch>? open, ChangeRequest request) =>
        open is { Value: var o } && o.LeadId != request.Id && o.OpenedAt >= request.CreatedAt - _slack.BatchWindow ? o.LeadId : null;

    /// <summary>
    /// Adds the request to batch <paramref name="leadId"/> and, when it will not be rendered at once, schedules the
    /// batch's render in the same write; then records the membership (insert, or with <paramref name="movingMember"/>
    /// replace our own). Null when the batch is full or gone. A request already shown in another batch stays there.
    /// </summary>
    private async Task<Placement?> JoinAsync(ChangeRequest request, string leadId, TimeSpan delay, string? movingMember, CancellationToken ct)
    {
        DateTimeOffset? at = null;
        var joined = await threads.UpdateAsync(SlackRows.Thread(leadId), t =>
        {
            at = null;
            if (t is null || t.MemberIds.Contains(request.Id) || t.MemberIds.Count >= _slack.BatchMaxSize)
            {
                return null;
            }
            var next = t with { MemberIds = [.. t.MemberIds, request.Id] };
            if (!RendersNow(next, request.Status, delay) && RenderDue(next, delay) is { } due)
            {
                at = due;
                next = next with { RenderScheduledFor = due };
            }
            return next;
        }, ct);
        if (joined.Stored is not { } thread || !thread.Value.MemberIds.Contains(request.Id))
        {
            return null;
        }
        try
        {
            // With movingMember, our own membership (inserted by StartAsync in this call) moves: still this call's first placement.
            await threads.WriteAsync(SlackRows.Member(request.Id), new ThreadMembership(leadId), movingMember, ct);
        }
        catch (ConcurrencyConflictException)
        {
            // Placed before (a redelivery): keep that placement and take the request out of this batch again.
            var member = await threads.GetAsync(SlackRows.Member(request.Id), ct)
                ?? throw new InvalidOperationException($"Membership of request {request.Id} conflicted but is missing.");
            if (member.Value.LeadId != leadId)
            {
                if (joined.Written)
                {
                    await threads.UpdateAsync(SlackRows.Thread(leadId), t =>
                        t is null || !t.MemberIds.Contains(request.Id) ? null : t with { MemberIds = t.MemberIds.Where(id => id != request.Id).ToArray() }, ct);
                }
                return new Placement(await ThreadAsync(member.Value.LeadId, request.Id, ct));
            }
            return new Placement(thread, joined.Written ? at : null);
        }
        return new Placement(thread, joined.Written ? at : null, First: true);
    }

    /// <summary>
    /// Starts a batch led by the request: its thread and membership rows share the request's partition and are inserted
    /// in one transaction. If they exist, the request was placed before: that placement is returned instead.
    /// </summary>
    private async Task<(Placement Started, string MemberETag, Placement? PlacedBefore)> StartAsync(ChangeRequest request, string key, CancellationToken ct)
    {
        var thread = SlackThread.Start(request.Id, key, request.CreatedAt);
        try
        {
            var etags = await threads.WriteTogetherAsync(
                [SlackRowWrite.Of(SlackRows.Thread(request.Id), thread, null), SlackRowWrite.Of(SlackRows.Member(request.Id), new ThreadMembership(request.Id), null)], ct);
            return (new Placement(new Stored<SlackThread>(thread, etags[0]), First: true), etags[1], null);
        }
        catch (ConcurrencyConflictException)
        {
            var member = await threads.GetAsync(SlackRows.Member(request.Id), ct);
            if (member is null)
            {
                // A thread row without its membership (written before both went in one transaction): complete it.
                await threads.UpdateAsync(SlackRows.Member(request.Id), m => m is null ? new ThreadMembership(request.Id) : null, ct);
            }
            var placed = new Placement(await ThreadAsync(member?.Value.LeadId ?? request.Id, request.Id, ct));
            return (placed, string.Empty, placed);
        }
    }

    private async Task<Stored<SlackThread>> ThreadAsync(string leadId, string requestId, CancellationToken ct) =>
        await threads.GetAsync(SlackRows.Thread(leadId), ct)
        ?? throw new InvalidOperationException($"Batch {leadId} of request {requestId} is missing.");

    /// <summary>Render at once: the first sight of a batch, a batch of one, or no debounce.</summary>
    private bool RendersNow(SlackThread thread, RequestStatus status, TimeSpan delay) =>
        thread.MonitoringMessage is null || (NeedsApprovers(status) && thread.ApproverMessage is null) || thread.MemberIds.Count == 1 || delay <= TimeSpan.Zero;

    /// <summary>When to render the batch after <paramref name="delay"/>; null when a render is already due by then.</summary>
    private DateTimeOffset? RenderDue(SlackThread thread, TimeSpan delay)
    {
        var now = time.GetUtcNow();
        return thread.RenderScheduledFor is { } due && due > now && due <= now + delay ? null : now + delay;
    }

    /// <summary>Asks for one render of the batch after <paramref name="delay"/>, unless one is already due by then.</summary>
    private async Task ScheduleRenderAsync(Stored<SlackThread> thread, RequestStatus status, TimeSpan delay, CancellationToken ct)
    {
        var at = default(DateTimeOffset);
        var (_, written) = await ConditionalUpdate.RunAsync(
            thread,
            t =>
            {
                if (RenderDue(t, delay) is not { } due)
                {
                    return false;
                }
                at = due;
                return true;
            },
            (t, etag, c) => threads.WriteAsync(SlackRows.Thread(t.LeadId), t with { RenderScheduledFor = at }, etag, c),
            c => threads.GetAsync(SlackRows.Thread(thread.Value.LeadId), c),
            ct);
        if (written)
        {
            await queue.SendAsync(QueueNames.Notifications, new RequestNotification(thread.Value.LeadId, status, Render: true, DueAt: at), delay, ct);
        }
    }

    /// <summary>
    /// Posts or updates the batch's two messages and replies once with every outcome not yet told, then records all of
    /// it on the thread row in one conditional write (also when a channel failed, so a retry updates instead of posting).
    /// </summary>
    private async Task RenderAsync(Stored<SlackThread> thread, ChangeRequest? carried, CancellationToken ct)
    {
        var leadId = thread.Value.LeadId;
        for (var attempt = 0; ; attempt++)
        {
            var batch = await MembersAsync(thread.Value, carried, ct);
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
            // A rate limit or a cancellation stops the render; whatever was posted before it is still recorded.
            var done = new RenderOutcome();
            ExceptionDispatchInfo? failure = null;
            if (batch.Any(r => NeedsApprovers(r.Status)))
            {
                try
                {
                    done.ApproverMessage = await ShowAsync(thread, batch, routed.Route, approvers: true, WithDurations(routed.ApproverMessage!, batch), alias, ct);
                }
                catch (Exception ex)
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
            }
            if (!Stops(failure))
            {
                try
                {
                    done.MonitoringMessage = await ShowAsync(thread, batch, routed.Route, approvers: false, ApprovalMessageBuilder.ForMonitoring(batch, alias, requester), alias, ct);
                }
                catch (Exception ex)
                {
                    failure ??= ExceptionDispatchInfo.Capture(ex);
                }
            }
            if (!Stops(failure))
            {
                try
                {
                    await ReplyOutcomesAsync(thread.Value, done, batch, ct);
                }
                catch (Exception ex)
                {
                    failure ??= ExceptionDispatchInfo.Capture(ex);
                }
            }

            var scheduled = thread.Value.RenderScheduledFor is not null;
            var rendered = thread.Value.MemberIds;
            var (saved, changed) = await RecordAsync(thread, done, ct);
            failure?.Throw();
            thread = saved;
            if (!changed || attempt >= 5 || (!scheduled && saved.Value.MemberIds.SequenceEqual(rendered)))
            {
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            // A change joined or a render was scheduled while rendering: render again so it is not left out.
        }
    }

    private static bool Stops(ExceptionDispatchInfo? failure) =>
        failure?.SourceException is SlackRateLimitedException or OperationCanceledException;

    /// <summary>The batch's requests as stored (the carried one when it is current), in batch order, without those still reverting.</summary>
    private async Task<List<ChangeRequest>> MembersAsync(SlackThread thread, ChangeRequest? carried, CancellationToken ct)
    {
        var batch = new List<ChangeRequest>();
        foreach (var id in thread.MemberIds)
        {
            var member = carried is not null && carried.Id == id && NotificationState.IsCurrentFor(thread, carried)
                ? carried
                : (await requests.GetAsync(id, ct))?.Value;
            if (member is { Status: not RequestStatus.Reverting })
            {
                batch.Add(member);
            }
        }
        return batch;
    }

    /// <summary>
    /// Writes what the render did with the ETag it rendered at, clearing the debounce schedule. Returns the row as
    /// stored and whether someone changed it meanwhile (then it is re-read and only what was done is recorded).
    /// </summary>
    private async Task<(Stored<SlackThread> Thread, bool Changed)> RecordAsync(Stored<SlackThread> thread, RenderOutcome done, CancellationToken ct)
    {
        if (NotificationState.Record(thread.Value, done, clearSchedule: true) is not { } next)
        {
            return (thread, false);
        }
        try
        {
            var etag = await threads.WriteAsync(SlackRows.Thread(thread.Value.LeadId), next, thread.ETag, ct);
            return (new Stored<SlackThread>(next, etag), false);
        }
        catch (ConcurrencyConflictException)
        {
            var update = await threads.UpdateAsync(SlackRows.Thread(thread.Value.LeadId), t => t is null ? null : NotificationState.Record(t, done, clearSchedule: false), ct);
            return (update.Stored ?? thread, true);
        }
    }

    /// <summary>One threaded reply under the monitoring message with every outcome not yet told (recorded in <paramref name="done"/>).</summary>
    private async Task ReplyOutcomesAsync(SlackThread thread, RenderOutcome done, IReadOnlyList<ChangeRequest> batch, CancellationToken ct)
    {
        if ((thread.MonitoringMessage ?? done.MonitoringMessage) is not { } monitoring)
        {
            return;
        }
        var untold = batch
            .SelectMany(m => ThreadedOutcomes.Where(s => Reached(m, s) && !thread.NotifiedOf(m.Id).Contains(s)).Select(s => (Request: m, Status: s)))
            .ToList();
        if (untold.Count == 0)
        {
            return;
        }
        await slack.PostMessageAsync(monitoring.Channel, ApprovalMessageBuilder.OutcomeReply(untold), null, monitoring.Ts, ct);
        done.Told.AddRange(untold.GroupBy(u => u.Request.Id).Select(g => (g.Key, (IReadOnlyList<RequestStatus>)g.Select(u => u.Status).ToArray())));
    }

    /// <summary>
    /// Shows the batch in one channel; returns the message if it was newly posted. If Slack refuses the message (any
    /// error but a rate limit), a compact one takes its place; if that is refused too, the monitoring channel is told
    /// (approvers) or the failure is logged.
    /// </summary>
    private async Task<SlackMessageRef?> ShowAsync(Stored<SlackThread> thread, IReadOnlyList<ChangeRequest> batch, ApprovalRoute route, bool approvers, SlackMessage message, string? alias, CancellationToken ct)
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
                return null;
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

    /// <summary>Updates the channel's message if the batch has one, else posts it and returns it (recorded by the caller).</summary>
    private async Task<SlackMessageRef?> PostOrUpdateAsync(Stored<SlackThread> thread, bool approvers, string channel, SlackMessage message, CancellationToken ct)
    {
        if ((approvers ? thread.Value.ApproverMessage : thread.Value.MonitoringMessage) is { } existing)
        {
            await slack.UpdateMessageAsync(existing.Channel, existing.Ts, message.Text, message.Blocks, ct);
            return null;
        }
        return await slack.PostMessageAsync(channel, message.Text, message.Blocks, null, ct);
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
    /// <summary>Time-bound approvals: one Approve button per configured duration, and Revoke on live access.</summary>
    private SlackMessage WithDurations(SlackMessage message, IReadOnlyList<ChangeRequest> batch) =>
        approvals is null ? message : message.WithAccessChoices(batch, approvals.Value.GetChoices());

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
