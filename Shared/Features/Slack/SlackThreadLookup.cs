using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Finds a request's batch rows: in its home partition first (<see cref="SlackRows.HomeOf"/>), then where the previous
/// layout put them (rows written before the home partition, e.g. batches in flight during a deploy). Point reads only;
/// the fallback costs one more read only when the home partition has no row for the request.
/// </summary>
public static class SlackThreadLookup
{
    /// <summary>The request's membership and the row of the batch it names (null: the request is shown in no batch).</summary>
    public static async Task<(Stored<ThreadMembership> Membership, SlackRow<SlackThread> ThreadRow)?> FindMembershipAsync(
        this ISlackThreadStore threads, ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentNullException.ThrowIfNull(request);
        var home = SlackRows.HomeOf(request);
        if (await threads.GetAsync(SlackRows.Member(home, request.Id), cancellationToken) is { } member)
        {
            return (member, SlackRows.Thread(home, member.Value.LeadId));
        }
        return await threads.GetAsync(SlackRows.Member(request.Id), cancellationToken) is { } old
            ? (old, SlackRows.Thread(old.Value.LeadId))
            : null;
    }

    /// <summary>The lead id and thread of the batch that shows the request (null: none; Thread null: the membership names a missing batch).</summary>
    public static async Task<(string LeadId, Stored<SlackThread>? Thread)?> FindBatchOfAsync(this ISlackThreadStore threads, ChangeRequest request, CancellationToken cancellationToken)
    {
        if (await threads.FindMembershipAsync(request, cancellationToken) is not { } found)
        {
            return null;
        }
        return (found.Membership.Value.LeadId, await threads.GetAsync(found.ThreadRow, cancellationToken));
    }

    /// <summary>The batch <paramref name="lead"/> leads ("Approve all" carries the lead's id), in its home partition or the previous layout.</summary>
    public static async Task<Stored<SlackThread>?> FindLedBatchAsync(this ISlackThreadStore threads, ChangeRequest lead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentNullException.ThrowIfNull(lead);
        return await threads.GetAsync(SlackRows.Thread(SlackRows.HomeOf(lead), lead.Id), cancellationToken)
            ?? await threads.GetAsync(SlackRows.Thread(lead.Id), cancellationToken);
    }
}
