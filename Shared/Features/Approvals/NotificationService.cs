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
/// batch, an <see cref="OpenBatch"/> pointer per batch key, a <see cref="ThreadMembership"/> per request), all in the
/// home partition of the request's group and requester (<see cref="SlackRows.HomeOf"/>), written only here and only by
/// conditional writes (ETag or insert-if-absent); request rows are never written by this service.
/// </para>
/// <para>
/// Round trips (see docs/performance.md): the first nudge carries the request as stored, so a first sight reads no
/// request; a new batch is one transaction (pointer inserted, or replaced with the ETag this instance last saw it at,
/// + thread + membership) and one write of the posted messages; a join is one transaction (batch replaced with its
/// ETag + membership inserted) after the pointer and batch reads, which this instance's hints of the rows it last wrote
/// or read (<see cref="SlackRowHints"/>) save. Conflicts, not reads, find earlier placements and stale hints: a start
/// refused on its pointer reads the pointer and joins.
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
    IOptions<ApprovalsOptions> approvals)
{
    private static readonly RequestStatus[] ThreadedOutcomes =
        [RequestStatus.RevertFailed, RequestStatus.Approved, RequestStatus.Denied, RequestStatus.Applied, RequestStatus.ApplyFailed, RequestStatus.Expired];

    private readonly SlackOptions _slack = slackOptions.Value;
    private readonly SlackRowHints _hints = new();
    private readonly IReadOnlyDictionary<string, string> _aliases = policyOptions.Value.AccountAliasMap;

    /// <summary>
    /// The <see cref="EffectKind.Render"/> effect: shows <paramref name="request"/> (as the effects worker just read it)
    /// in its batch's messages — placing it in a batch first if it has none — at once, or in the batch's debounced render.
    /// Slack failures escape (the effect stays pending); a rate limit escapes as <see cref="SlackRateLimitedException"/>.
    /// </summary>
    public async Task ShowAsync(ChangeRequest request, bool retry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Status == RequestStatus.Reverting)
        {
            return;
        }
        var delay = request.Status is RequestStatus.Pending or RequestStatus.Exempt or RequestStatus.Unmatched or RequestStatus.Reported
            ? _slack.BatchRenderDelay
            : _slack.BatchDecisionRenderDelay;
        var placed = await FindOrPlaceAsync(request, delay, ct);
        if (placed.ScheduledFor is { } at)
        {
            await EffectsMessage.SendAsync(queue, RenderMessage(placed.Thread.Value, at), delay, ct);
        }
        else if (RendersNow(placed.Thread.Value, request.Status, delay))
        {
            // The first sight of a batch is posted at once (a start holds the claim to post it); a batch of one has nothing to gather.
            await RenderAsync(placed.Thread, request, ct, placed.Claim);
        }
        else
        {
            await ScheduleRenderAsync(placed.Thread, delay, retry, ct);
        }
    }

    /// <summary>
    /// A batch's debounced render (<see cref="RenderBatch"/>): done when the batch's schedule still names this one (a
    /// render done by an earlier one, or rescheduled, has nothing left to do). A rate limit brings it back when Slack allows.
    /// </summary>
    public async Task RenderBatchAsync(RenderBatch message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            // This instance's hint of the batch, when it names this render (the joins that scheduled it were written here),
            // saves the read: a stale one is caught by the record's conditional write, which re-reads and renders again.
            var row = SlackRows.Thread(message.Home, message.LeadId);
            var scheduled = _hints.Get(row) is { Value.RenderScheduledFor: { } hinted } hint && hinted == message.DueAt ? hint : await ReadAsync(row, ct);
            if (scheduled?.Value.RenderScheduledFor is { } due && due == message.DueAt)
            {
                await RenderAsync(scheduled, carried: null, ct);
            }
        }
        catch (SlackTryLaterException ex)
        {
            LogTryLater(logger, message.LeadId, ex.Message, ex.RetryAfter);
            await EffectsMessage.SendAsync(queue, message, ex.RetryAfter, ct);
        }
    }

    /// <summary>
    /// The batch that shows the request. A first notice goes straight to placement (which finds an earlier placement by
    /// its conflicts); a later state reads the request's membership (a point read, falling back to the previous layout)
    /// and places it only if it has none.
    /// </summary>
    private async Task<Placement> FindOrPlaceAsync(ChangeRequest request, TimeSpan delay, CancellationToken ct)
    {
        if (!NotificationState.IsFirstNotice(request.Status) && await threads.FindMembershipAsync(request, ct) is { } member)
        {
            return new Placement(await ThreadAsync(member.ThreadRow, request.Id, ct));
        }
        return await PlaceAsync(request, delay, ct);
    }

    /// <summary>
    /// Puts a request into the open batch for its key (the key's pointer as this instance last saw it; with none, the
    /// start's insert of the pointer finds out), or starts a batch with it.
    /// Every row involved is in the request's home partition, so either is one transaction: a join replaces the batch with
    /// the ETag it was read at and inserts the membership; a start writes the pointer (insert, or replace with the ETag it
    /// was read at), the thread and the membership. A conflict is told apart with one point read of the membership:
    /// present, the request was placed before (a redelivery) and keeps that placement; absent, another writer moved the
    /// batch or the pointer first, and placement starts again from a fresh pointer read (bounded).
    /// </summary>
    private async Task<Placement> PlaceAsync(ChangeRequest request, TimeSpan delay, CancellationToken ct)
    {
        var home = SlackRows.HomeOf(request);
        var pointer = SlackRows.Open(request);
        var batching = _slack.BatchWindow > TimeSpan.Zero && request.Status != RequestStatus.RevertFailed;
        // No read first: without a hint the start's transaction inserts the pointer, and its refusal (a pointer exists)
        // is what sends placement to read it and join.
        var open = batching ? _hints.Get(pointer) : null;
        var starting = false;
        return await ConditionalUpdate.RetryAsync(
            async attempt =>
            {
                if (attempt > 1)
                {
                    open = batching ? await ReadAsync(pointer, ct) : null;
                }
                starting = false;
                if (Joinable(open, request) is { } lead && await JoinAsync(request, home, lead, delay, ct) is { } joined)
                {
                    return joined;
                }
                starting = true;
                return await StartAsync(request, home, batching ? pointer : null, open, ct);
            },
            async conflict =>
            {
                _hints.Forget(home);
                // A start refused on its pointer alone (the last write) wrote neither thread nor membership: not placed before.
                var pointerOnly = starting && conflict.FailedWrite == StartPointerWrite;
                return !pointerOnly && await threads.GetAsync(SlackRows.Member(home, request.Id), ct) is { } member
                    ? new Placement(await ThreadAsync(SlackRows.Thread(home, member.Value.LeadId), request.Id, ct))
                    : null;
            });
    }

    /// <summary>The index of the pointer's write in a start's transaction (thread, membership, pointer).</summary>
    private const int StartPointerWrite = 2;

    /// <summary>A point read of a batch row, kept as this instance's hint for the next write to it.</summary>
    private async Task<Stored<T>?> ReadAsync<T>(SlackRow<T> row, CancellationToken ct)
        where T : class
    {
        var stored = await threads.GetAsync(row, ct);
        _hints.Set(row, stored);
        return stored;
    }

    private string? Joinable(Stored<OpenBatch>? open, ChangeRequest request) =>
        open is { Value: var o } && o.LeadId != request.Id && o.OpenedAt >= request.CreatedAt - _slack.BatchWindow ? o.LeadId : null;

    /// <summary>
    /// Adds the request to batch <paramref name="leadId"/> in one transaction: the batch replaced with the ETag it was read
    /// at (with its debounced render scheduled when it will not be rendered at once) and the membership inserted. Null
    /// when the batch is full or gone; the batch itself when it shows the request already (a redelivery). Throws
    /// <see cref="ConcurrencyConflictException"/> when another writer was first (nothing written).
    /// </summary>
    private async Task<Placement?> JoinAsync(ChangeRequest request, string home, string leadId, TimeSpan delay, CancellationToken ct)
    {
        var row = SlackRows.Thread(home, leadId);
        // The hint saves the read: the transaction below is conditional on the ETag it names either way.
        if ((_hints.Get(row) ?? await ReadAsync(row, ct)) is not { } thread)
        {
            return null;
        }
        if (thread.Value.MemberIds.Contains(request.Id))
        {
            return new Placement(thread); // batch and membership are written together: placed before
        }
        if (thread.Value.MemberIds.Count >= _slack.BatchMaxSize)
        {
            return null;
        }
        var next = thread.Value with { MemberIds = [.. thread.Value.MemberIds, request.Id] };
        DateTimeOffset? at = null;
        if (!RendersNow(next, request.Status, delay) && RenderDue(next, delay) is { } due)
        {
            at = due;
            next = next with { RenderScheduledFor = due };
        }
        var etags = await threads.WriteTogetherAsync(
            [SlackRowWrite.Of(row, next, thread.ETag), SlackRowWrite.Of(SlackRows.Member(home, request.Id), new ThreadMembership(leadId), null)], ct);
        var joined = new Stored<SlackThread>(next, etags[0]);
        _hints.Set(row, joined);
        return new Placement(joined, at, First: true);
    }

    /// <summary>
    /// Starts a batch led by the request: thread, membership and (when batching) the key's pointer in one transaction,
    /// so a pointer never names a batch whose rows are missing. The thread is written holding this render's claim to
    /// post the first messages (<see cref="ClaimAsync"/> without a write of its own). Throws <see cref="ConcurrencyConflictException"/> when
    /// the request was placed before or the pointer moved since <paramref name="open"/> was read (nothing written).
    /// </summary>
    private async Task<Placement> StartAsync(ChangeRequest request, string home, SlackRow<OpenBatch>? pointer, Stored<OpenBatch>? open, CancellationToken ct)
    {
        var claim = Guid.NewGuid().ToString("N");
        var thread = SlackThread.Start(home, request.Id, SlackRows.BatchKey(request), request.CreatedAt)
            with { Posting = new SlackPostClaim(claim, time.GetUtcNow() + PostClaimLease) };
        List<SlackRowWrite> writes =
        [
            SlackRowWrite.Of(SlackRows.Thread(home, request.Id), thread, null),
            SlackRowWrite.Of(SlackRows.Member(home, request.Id), new ThreadMembership(request.Id), null),
        ];
        if (pointer is not null)
        {
            writes.Add(SlackRowWrite.Of(pointer, new OpenBatch(request.Id, request.CreatedAt), open?.ETag));
        }
        var etags = await threads.WriteTogetherAsync(writes, ct);
        var started = new Stored<SlackThread>(thread, etags[0]);
        _hints.Set(SlackRows.Thread(home, request.Id), started);
        if (pointer is not null)
        {
            _hints.Set(pointer, new Stored<OpenBatch>(new OpenBatch(request.Id, request.CreatedAt), etags[StartPointerWrite]));
        }
        return new Placement(started, First: true, Claim: claim);
    }

    private async Task<Stored<SlackThread>> ThreadAsync(SlackRow<SlackThread> row, string requestId, CancellationToken ct) =>
        await ReadAsync(row, ct)
        ?? throw new InvalidOperationException($"Batch {row.Partition}/{row.Row} of request {requestId} is missing.");

    /// <summary>The debounced render of <paramref name="thread"/> due at <paramref name="at"/>.</summary>
    private static RenderBatch RenderMessage(SlackThread thread, DateTimeOffset at) =>
        new(thread.Home, thread.LeadId, at);

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
    private async Task ScheduleRenderAsync(Stored<SlackThread> thread, TimeSpan delay, bool retry, CancellationToken ct)
    {
        DateTimeOffset? at = null;
        var (stored, written) = await ConditionalUpdate.RunAsync(
            thread,
            t => (at = RenderDue(t, delay)) is not null,
            (t, etag, c) => threads.WriteAsync(SlackRows.ThreadOf(t), t with { RenderScheduledFor = at }, etag, c),
            c => ReadAsync(SlackRows.ThreadOf(thread.Value), c),
            ct);
        if (written)
        {
            _hints.Set(SlackRows.ThreadOf(stored.Value), stored with { Value = stored.Value with { RenderScheduledFor = at } });
        }
        if (written && at is { } scheduled)
        {
            await EffectsMessage.SendAsync(queue, RenderMessage(thread.Value, scheduled), delay, ct);
        }
        else if (retry && stored.Value.RenderScheduledFor is { } pending && pending > time.GetUtcNow())
        {
            // This effect's earlier try may have written the schedule and lost its message's send: send it again (a
            // duplicate finds the schedule cleared by the first and does nothing).
            await EffectsMessage.SendAsync(queue, RenderMessage(stored.Value, pending), pending - time.GetUtcNow(), ct);
        }
    }

    /// <summary>
    /// Posts or updates the batch's two messages and replies once with every outcome not yet told, then records all of
    /// it on the thread row in one conditional write (also when a channel failed, so a retry updates instead of posting).
    /// </summary>
    private async Task RenderAsync(Stored<SlackThread> thread, ChangeRequest? carried, CancellationToken ct, string? startClaim = null)
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

            // A first post is claimed on the thread row (a conditional write; a start wrote it with the batch) before Slack
            // is called, so two deliveries of the same effect never both post: the one that finds a live claim comes back
            // later and updates instead.
            var claim = attempt == 0 && thread.Value.Posting?.By == startClaim ? startClaim : null;
            var firstPost = (batch.Any(r => NeedsApprovers(r.Status)) && thread.Value.ApproverMessage is null) || thread.Value.MonitoringMessage is null;
            if (claim is null && firstPost)
            {
                (thread, claim) = await ClaimAsync(thread, ct);
            }

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

            var scheduled = thread.Value.RenderScheduledFor;
            var rendered = thread.Value.MemberIds;
            var (saved, changed) = await RecordAsync(thread, done, claim, ct);
            failure?.Throw();
            thread = saved;
            // A newer schedule (a join while this one rendered) has its render coming: it shows what this one left out
            // (a schedule is written before its message is sent, and the effect that wrote it is not cleared until that
            // send returns; its retry sends it again), so this one stops instead of rendering the batch twice.
            var newer = saved.Value.RenderScheduledFor is { } next && next != scheduled;
            if (!changed || newer || attempt >= 5 || (scheduled is null && saved.Value.MemberIds.SequenceEqual(rendered)))
            {
                LogNotified(logger, leadId, batch.Count);
                return;
            }
            // A change joined or a render was scheduled while rendering, with no later render to show it: render again.
        }
    }

    private static bool Stops(ExceptionDispatchInfo? failure) =>
        failure?.SourceException is SlackRateLimitedException or OperationCanceledException;

    /// <summary>
    /// The batch's requests in batch order, without those still reverting: the carried one when it is current, any other
    /// member read from the store.
    /// </summary>
    private async Task<List<ChangeRequest>> MembersAsync(SlackThread thread, ChangeRequest? carried, CancellationToken ct)
    {
        var useCarried = carried is not null && thread.MemberIds.Contains(carried.Id) && NotificationState.IsCurrentFor(thread, carried);
        var batch = new List<ChangeRequest>();
        foreach (var id in thread.MemberIds)
        {
            var member = useCarried && carried!.Id == id ? carried : (await requests.GetAsync(id, ct))?.Value;
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
    private async Task<(Stored<SlackThread> Thread, bool Changed)> RecordAsync(Stored<SlackThread> thread, RenderOutcome done, string? claim, CancellationToken ct)
    {
        var next = Release(NotificationState.Record(thread.Value, done, clearSchedule: true) ?? thread.Value, claim);
        if (ReferenceEquals(next, thread.Value))
        {
            return (thread, false);
        }
        try
        {
            var etag = await threads.WriteAsync(SlackRows.ThreadOf(thread.Value), next, thread.ETag, ct);
            var saved = new Stored<SlackThread>(next, etag);
            _hints.Set(SlackRows.ThreadOf(next), saved);
            return (saved, false);
        }
        catch (ConcurrencyConflictException)
        {
            var update = await threads.UpdateAsync(SlackRows.ThreadOf(thread.Value), t => t is null ? null : Changed(t, Release(NotificationState.Record(t, done, clearSchedule: false) ?? t, claim)), ct);
            _hints.Set(SlackRows.ThreadOf(thread.Value), update.Stored);
            return (update.Stored ?? thread, true);
        }
    }

    /// <summary>How long a claim to post a batch's first message holds when its render dies before recording (Slack calls time out well before).</summary>
    internal static readonly TimeSpan PostClaimLease = TimeSpan.FromMinutes(2);

    /// <summary>How soon a render refused by another's live claim comes back (a live render has recorded its post by then).</summary>
    internal static readonly TimeSpan PostClaimRetry = TimeSpan.FromSeconds(10);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// Claims the thread for posting its first message(s): the thread written with this render's claim at the ETag it was
    /// read at. A live claim of another render throws <see cref="SlackPostInProgressException"/> (the effect stays pending;
    /// its retry finds the posted message and updates it); a lapsed one (a render that died) is taken over.
    /// </summary>
    private async Task<(Stored<SlackThread> Thread, string? Claim)> ClaimAsync(Stored<SlackThread> thread, CancellationToken ct)
    {
        var token = Guid.NewGuid().ToString("N");
        var row = SlackRows.ThreadOf(thread.Value);
        Stored<SlackThread>? unread = thread;
        var claimed = await ConditionalUpdate.ApplyAsync(
            async c =>
            {
                var current = unread ?? await ThreadAsync(row, thread.Value.LeadId, c);
                unread = null;
                return current;
            },
            (t, etag, c) => threads.WriteAsync(row, t, etag, c),
            t =>
            {
                var now = time.GetUtcNow();
                if (t!.ApproverMessage is not null && t.MonitoringMessage is not null)
                {
                    return null; // both posted meanwhile: only updates are left
                }
                if (t.Posting is { } other && other.Until > now)
                {
                    throw new SlackPostInProgressException(
                        $"Batch {t.LeadId}: another render is posting its message until {other.Until:O}.", Min(other.Until - now, PostClaimRetry));
                }
                return t with { Posting = new SlackPostClaim(token, now + PostClaimLease) };
            },
            ct);
        if (!claimed.Written)
        {
            return (claimed.Stored!, null);
        }
        _hints.Set(row, claimed.Stored);
        return (claimed.Stored!, token);
    }

    /// <summary>The thread without this render's claim (unchanged when it holds none).</summary>
    private static SlackThread Release(SlackThread thread, string? claim) =>
        claim is not null && thread.Posting?.By == claim ? thread with { Posting = null } : thread;

    private static SlackThread? Changed(SlackThread before, SlackThread after) => ReferenceEquals(before, after) ? null : after;

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
                var compact = ApprovalMessageBuilder.Compact(batch, alias, withButtons: approvers, refused.Error);
                return await PostOrUpdateAsync(thread, approvers, channel, approvers ? WithDurations(compact, batch) : compact, ct);
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
        message.WithAccessChoices(batch, approvals.Value.GetChoices());

    private static bool NeedsApprovers(RequestStatus status) =>
        status is not (RequestStatus.Exempt or RequestStatus.RevertFailed or RequestStatus.Reverting or RequestStatus.Unmatched or RequestStatus.Reported);

    [LoggerMessage(402, LogLevel.Debug, "Slack is up to date with batch {RequestId} ({Count} requests)")]
    private static partial void LogNotified(ILogger logger, string requestId, int count);

    [LoggerMessage(404, LogLevel.Warning, "Could not match the requester to a Slack user ({Error}); posting without a mention")]
    private static partial void LogLookupFailed(ILogger logger, string error);

    [LoggerMessage(403, LogLevel.Warning, "Batch {RequestId}: {Reason}; trying again in {RetryAfter}")]
    private static partial void LogTryLater(ILogger logger, string requestId, string reason, TimeSpan retryAfter);

    [LoggerMessage(405, LogLevel.Error, "Slack refused the message for batch {RequestId} in {Channel} ({Error}); sending a compact one")]
    private static partial void LogRefused(ILogger logger, Exception exception, string requestId, string channel, string error);

    [LoggerMessage(406, LogLevel.Error, "Slack refused even the compact message for batch {RequestId} in {Channel} ({Error})")]
    private static partial void LogCompactRefused(ILogger logger, Exception exception, string requestId, string channel, string error);

    [LoggerMessage(407, LogLevel.Critical, "No approver was told about batch {RequestId} ({Count} requests): Slack refused every message and the monitoring notice")]
    private static partial void LogNobodyTold(ILogger logger, Exception exception, string requestId, int count);
}
