using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>One user who opened the Home tab, and when they last did.</summary>
public sealed record HomeViewer(string UserId, DateTimeOffset OpenedAt);

/// <summary>The users whose Home tab the bridge keeps current (those who opened it within <see cref="HomeTabService.ViewerTtl"/>).</summary>
public sealed record HomeViewers(IReadOnlyList<HomeViewer> Users);

/// <summary>
/// The Slack Home tab. <b>Opened</b> (<c>app_home_opened</c>, queued by the events endpoint as <see cref="PublishHome"/>):
/// the user is remembered as a viewer and their tab is published. <b>Refreshed</b> (the <see cref="EffectKind.RefreshHome"/>
/// effect of a request's transition): the tabs of the viewers the request concerns — its requester and the approvers of
/// its route — are published again. A tab shows what <see cref="ApprovalMessageBuilder.Home"/> lays out: the requests
/// waiting for the user (pending, on a route they approve, not their own), newest first, with the same choices as the
/// approvers' message, and the user's own pending requests and live time-bound access. Reads are two index ranges (the
/// pending index and the access-expiry index, never a table scan) and a point read per request found; the viewer list is
/// cached for <see cref="ViewersCacheTtl"/>, so a transition costs no storage read when nobody watches. Approved (being
/// applied) and failed requests are not listed: their outcome reaches the requester by DM and monitoring.
/// </summary>
public sealed partial class HomeTabService(
    IRequestStore requests,
    IPendingRequestsIndex pending,
    IAccessExpiryIndex expiries,
    ISlackThreadStore threads,
    ApproverDirectory approvers,
    ApprovalRouter router,
    RoutingService routing,
    ISlackClient slack,
    IOptions<ApprovalsOptions> approvals,
    IOptions<PolicyOptions> policy,
    TimeProvider time,
    ILogger<HomeTabService> logger)
{
    /// <summary>The Slack table row listing the viewers.</summary>
    public static readonly SlackRow<HomeViewers> ViewersRow = new("home", "viewers");

    /// <summary>A viewer who has not opened the tab for this long is no longer published to (opening it again publishes at once).</summary>
    public static readonly TimeSpan ViewerTtl = TimeSpan.FromDays(30);

    /// <summary>The most viewers kept (the most recent); the row stays far below Table Storage's 64 KiB property.</summary>
    public const int MaxViewers = 500;

    /// <summary>How long a refresh trusts the viewer list it read (a tab opened meanwhile was just published by its opening).</summary>
    public static readonly TimeSpan ViewersCacheTtl = TimeSpan.FromMinutes(1);

    /// <summary>How often an opening rewrites the viewer's time (an opening within it publishes without a write).</summary>
    private static readonly TimeSpan ViewerRefreshWrite = TimeSpan.FromHours(12);

    private readonly SingleFlightCache<string, IReadOnlyList<HomeViewer>> _viewers = new(ViewersCacheTtl, time, StringComparer.Ordinal);

    /// <summary>The most requests one snapshot reads (far more than a tab of 100 blocks shows; the rest are counted as "more").</summary>
    public const int MaxSnapshot = 300;

    /// <summary>The user opened the Home tab: remember them and publish their tab.</summary>
    public async Task OpenedAsync(PublishHome message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = time.GetUtcNow();
        await threads.UpdateAsync(ViewersRow, current =>
        {
            var users = current?.Users ?? [];
            if (users.FirstOrDefault(u => u.UserId == message.SlackUserId) is { } known && now - known.OpenedAt < ViewerRefreshWrite)
            {
                return null;
            }
            return new HomeViewers(users.Where(u => u.UserId != message.SlackUserId && now - u.OpenedAt < ViewerTtl)
                .Append(new HomeViewer(message.SlackUserId, now)).OrderByDescending(u => u.OpenedAt).Take(MaxViewers).ToArray());
        }, cancellationToken);
        var snapshot = await SnapshotAsync(cancellationToken);
        await PublishAsync(message.SlackUserId, snapshot, cancellationToken);
    }

    /// <summary>
    /// The <see cref="EffectKind.RefreshHome"/> effect: publishes again the tabs of the viewers <paramref name="request"/>
    /// concerns. A Slack failure escapes (the effect stays pending and is retried).
    /// </summary>
    public async Task RefreshAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var viewers = (await _viewers.GetAsync(ViewersRow.Row, async ct => (await threads.GetAsync(ViewersRow, ct))?.Value.Users ?? [], cancellationToken))
            .Where(v => now - v.OpenedAt < ViewerTtl).Select(v => v.UserId).ToList();
        if (viewers.Count == 0)
        {
            return;
        }
        var requester = (await approvers.ResolveRequesterAsync(request.Requester, cancellationToken)).SlackUserId;
        var route = await RouteOfAsync(request, cancellationToken);
        var concerned = new List<string>();
        foreach (var viewer in viewers)
        {
            if (viewer == requester || await approvers.IsApproverAsync(viewer, route, cancellationToken))
            {
                concerned.Add(viewer);
            }
        }
        if (concerned.Count == 0)
        {
            return;
        }
        var snapshot = await SnapshotAsync(cancellationToken);
        foreach (var user in concerned)
        {
            await PublishAsync(user, snapshot, cancellationToken);
        }
        LogRefreshed(logger, request.Id, concerned.Count);
    }

    /// <summary>What <paramref name="userId"/>'s tab shows now, from one <paramref name="snapshot"/> of the open requests.</summary>
    public async Task<HomeContent> ContentForAsync(string userId, HomeSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = time.GetUtcNow();
        var waiting = new List<ChangeRequest>();
        var mine = new List<ChangeRequest>();
        foreach (var r in snapshot.Requests)
        {
            var isMine = (await approvers.ResolveRequesterAsync(r.Requester, cancellationToken)).SlackUserId == userId;
            if (isMine)
            {
                mine.Add(r);
            }
            else if (r.Status == RequestStatus.Pending && await approvers.IsApproverAsync(userId, await RouteOfAsync(r, cancellationToken), cancellationToken))
            {
                waiting.Add(r);
            }
        }
        var isApprover = waiting.Count > 0 || await approvers.IsApproverAsync(userId, cancellationToken);
        return new HomeContent(userId, isApprover, Newest(waiting), Newest(mine), approvals.Value.GetChoices(), policy.Value.AccountAliasMap, now);
    }

    /// <summary>
    /// The open requests a tab can show, read once for every tab published together: the pending index and the live
    /// time-bound grants of the access-expiry index, each request read by its id (the row is the truth, the index a hint).
    /// </summary>
    public async Task<HomeSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ids = new List<string>();
        await foreach (var id in pending.ListPendingCreatedByAsync(now, MaxSnapshot, cancellationToken))
        {
            ids.Add(id);
        }
        await foreach (var entry in expiries.ListAllAsync(cancellationToken))
        {
            if (ids.Count >= 2 * MaxSnapshot)
            {
                break;
            }
            ids.Add(entry.RequestId);
        }
        var found = new List<ChangeRequest>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (await requests.GetAsync(id, cancellationToken) is not { } stored)
            {
                continue;
            }
            var r = stored.Value;
            // Applied access is listed only while a time-bound grant lasts (a permanent one is done).
            if (r.Status == RequestStatus.Pending || (r.Status == RequestStatus.Applied && r.AccessUntil > now))
            {
                found.Add(r);
            }
        }
        return new HomeSnapshot(found);
    }

    private async Task PublishAsync(string userId, HomeSnapshot snapshot, CancellationToken ct)
    {
        var view = ApprovalMessageBuilder.Home(await ContentForAsync(userId, snapshot, ct));
        await slack.PublishHomeAsync(userId, view, ct);
    }

    /// <summary>The route the request's approvers are on: by account alone without tag routes (no read), else the batch's recorded route.</summary>
    private async Task<ApprovalRoute> RouteOfAsync(ChangeRequest r, CancellationToken ct)
    {
        if (!router.NeedsTags)
        {
            return router.Select(r.AccountId, null);
        }
        var lead = (await threads.FindMembershipAsync(r, ct))?.Membership.Value.LeadId ?? r.Id;
        return await routing.RouteForClickAsync(lead, r, ct);
    }

    private static List<ChangeRequest> Newest(List<ChangeRequest> list) =>
        list.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();

    [LoggerMessage(1511, LogLevel.Debug, "Home tabs: request {RequestId} changed; {Count} tab(s) published")]
    private static partial void LogRefreshed(ILogger logger, string requestId, int count);
}

/// <summary>The open requests read once for the tabs published together (pending, approved, applied, apply failed).</summary>
public sealed record HomeSnapshot(IReadOnlyList<ChangeRequest> Requests);
