using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Slack;

/// <summary>Finds a request's batch rows in its home partition (<see cref="SlackRows.HomeOf"/>): point reads only.</summary>
public static class SlackThreadLookup
{
    /// <summary>The request's membership and the row of the batch it names (null: the request is shown in no batch).</summary>
    public static async Task<(Stored<ThreadMembership> Membership, SlackRow<SlackThread> ThreadRow)?> FindMembershipAsync(
        this ISlackThreadStore threads, ChangeRequest request, CancellationToken cancellationToken)
    {
        var home = SlackRows.HomeOf(request);
        return await threads.GetAsync(SlackRows.Member(home, request.Id), cancellationToken) is { } member
            ? (member, SlackRows.Thread(home, member.Value.LeadId))
            : null;
    }

    /// <summary>The lead id and thread of the batch that shows the request (null: none; Thread null: the batch is missing).</summary>
    public static async Task<(string LeadId, Stored<SlackThread>? Thread)?> FindBatchOfAsync(this ISlackThreadStore threads, ChangeRequest request, CancellationToken cancellationToken)
    {
        if (await threads.FindMembershipAsync(request, cancellationToken) is not { } found)
        {
            return null;
        }
        return (found.Membership.Value.LeadId, await threads.GetAsync(found.ThreadRow, cancellationToken));
    }

    /// <summary>The batch <paramref name="lead"/> leads ("Approve all" carries the lead's id).</summary>
    public static Task<Stored<SlackThread>?> FindLedBatchAsync(this ISlackThreadStore threads, ChangeRequest lead, CancellationToken cancellationToken) =>
        threads.GetAsync(SlackRows.Thread(SlackRows.HomeOf(lead), lead.Id), cancellationToken);
}
