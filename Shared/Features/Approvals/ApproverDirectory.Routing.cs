using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

public sealed partial class ApproverDirectory
{
    private readonly IReadOnlySet<string> _breakGlass = options.Value.GetBreakGlassUserIds().ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="slackUserId"/> may decide changes on <paramref name="route"/>: one of its user ids or a
    /// member of one of its user groups (the global approvers only for the default route, or a route that includes them).
    /// </summary>
    public async Task<bool> IsApproverAsync(string slackUserId, ApprovalRoute route, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.IsDefault)
        {
            return await IsApproverAsync(slackUserId, cancellationToken);
        }
        if (route.ApproverUserIds.Contains(slackUserId, StringComparer.Ordinal))
        {
            return true;
        }
        foreach (var group in route.ApproverUserGroupIds)
        {
            if ((await MembersAsync(group, cancellationToken)).Contains(slackUserId))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="slackUserId"/> is configured for break-glass (may approve their own change).</summary>
    public bool IsBreakGlass(string slackUserId) => _breakGlass.Contains(slackUserId);
}
