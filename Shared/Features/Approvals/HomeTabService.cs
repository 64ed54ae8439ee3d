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
/// The Slack Home tab. <b>Opened</b> (<see cref="PublishHome"/>, queued by the events endpoint): the user is remembered as
/// a viewer and their tab published. <b>Refreshed</b> (the <see cref="EffectKind.RefreshHome"/> effect): the tabs of the
/// viewers a request concerns — its requester and its route's approvers — are published again. A tab lists the pending
/// requests waiting for the user (not their own) with the approvers' choices, and the user's own pending requests and live
/// time-bound access; approved (applying) and failed ones reach the requester by DM instead. Reads are two index ranges and
/// a point read per request, never a scan; the viewer list is cached, so a transition costs no read when nobody watches.
/// </summary>
public sealed partial class HomeTabService(
    IRequestStore requests,
    IPendingRequestsIndex pending,
    IAccessExpiryIndex expiries,
    ISlackThreadStore threads,
    ApproverDirectory approvers,
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

    /// <summary>The most pending requests one read takes (far more than a tab of 100 blocks shows; the rest are counted).</summary>
    public const int MaxSnapshot = 300;

    /// <summary>The user opened the Home tab: remember them and publish their tab.</summary>
    public async Task OpenedAsync(PublishHome message, CancellationToken cancellationToken)
    {
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
        await PublishAsync(message.SlackUserId, await OpenRequestsAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The <see cref="EffectKind.RefreshHome"/> effect: publishes again the tabs of the viewers <paramref name="request"/>
    /// concerns. A Slack failure escapes (the effect stays pending and is retried).
    /// </summary>
    public async Task RefreshAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var viewers = (await _viewers.GetAsync(ViewersRow.Row, async ct => (await threads.GetAsync(ViewersRow, ct))?.Value.Users ?? [], cancellationToken))
            .Where(v => now - v.OpenedAt < ViewerTtl).Select(v => v.UserId).ToList();
        if (viewers.Count == 0)
        {
            return;
        }
        var requester = (await approvers.ResolveRequesterAsync(request.Requester, cancellationToken)).SlackUserId;
        var route = await routing.RouteOfAsync(request, cancellationToken);
        var concerned = await viewers.ToAsyncEnumerable()
            .Where(async (viewer, ct) => viewer == requester || await approvers.IsApproverAsync(viewer, route, ct))
            .ToListAsync(cancellationToken);
        if (concerned.Count == 0)
        {
            return;
        }
        var open = await OpenRequestsAsync(cancellationToken);
        foreach (var user in concerned)
        {
            await PublishAsync(user, open, cancellationToken);
        }
        LogRefreshed(logger, request.Id, concerned.Count);
    }

    /// <summary>
    /// The open requests a tab can show, read once for every tab published together: the pending index and the live
    /// time-bound grants of the access-expiry index, each request read by its id (the row is the truth, the index a hint).
    /// </summary>
    private async Task<IReadOnlyList<ChangeRequest>> OpenRequestsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ids = await pending.ListPendingCreatedByAsync(now, MaxSnapshot, cancellationToken).ToListAsync(cancellationToken);
        ids.AddRange(await expiries.ListAllAsync(cancellationToken).Take(2 * MaxSnapshot - ids.Count).Select(e => e.RequestId)
            .ToListAsync(cancellationToken));
        var found = new List<ChangeRequest>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            // Applied access is listed only while a time-bound grant lasts (a permanent one is done).
            if (await requests.GetAsync(id, cancellationToken) is { Value: var r }
                && (r.Status == RequestStatus.Pending || (r.Status == RequestStatus.Applied && r.AccessUntil > now)))
            {
                found.Add(r);
            }
        }
        return found;
    }

    /// <summary>Publishes what <paramref name="userId"/>'s tab shows now, from one read of the <paramref name="open"/> requests.</summary>
    private async Task PublishAsync(string userId, IReadOnlyList<ChangeRequest> open, CancellationToken cancellationToken)
    {
        var waiting = new List<ChangeRequest>();
        var mine = new List<ChangeRequest>();
        foreach (var r in open)
        {
            if ((await approvers.ResolveRequesterAsync(r.Requester, cancellationToken)).SlackUserId == userId)
            {
                mine.Add(r);
            }
            else if (r.Status == RequestStatus.Pending
                && await approvers.IsApproverAsync(userId, await routing.RouteOfAsync(r, cancellationToken), cancellationToken))
            {
                waiting.Add(r);
            }
        }
        var isApprover = waiting.Count > 0 || await approvers.IsApproverAsync(userId, cancellationToken);
        var content = new HomeContent(userId, isApprover, Newest(waiting), Newest(mine), approvals.Value.GetChoices(),
            policy.Value.AccountAliasMap, time.GetUtcNow());
        await slack.PublishHomeAsync(userId, ApprovalMessageBuilder.Home(content), cancellationToken);
    }

    private static List<ChangeRequest> Newest(List<ChangeRequest> list) =>
        list.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();

    [LoggerMessage(1511, LogLevel.Debug, "Home tabs: request {RequestId} changed; {Count} tab(s) published")]
    private static partial void LogRefreshed(ILogger logger, string requestId, int count);
}
