using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Who may decide, and which Slack user made a change. Approvers are configured user ids and user-group members;
/// group members and e-mail look-ups are cached briefly so a click is answered well within Slack's 3 seconds.
/// </summary>
public sealed class ApproverDirectory(ISlackClient slack, IOptions<SlackOptions> options, TimeProvider time)
{
    private static readonly TimeSpan GroupTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan EmailTtl = TimeSpan.FromHours(1);
    private readonly IReadOnlySet<string> _users = options.Value.GetApproverUserIds().ToHashSet(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _groups = options.Value.GetApproverUserGroupIds();
    private readonly SingleFlightCache<IReadOnlySet<string>> _groupCache = new(GroupTtl, time);
    private readonly SingleFlightCache<string?> _emailCache = new(EmailTtl, time);

    public async Task<bool> IsApproverAsync(string slackUserId, CancellationToken cancellationToken)
    {
        if (_users.Contains(slackUserId))
        {
            return true;
        }
        foreach (var group in _groups)
        {
            if ((await MembersAsync(group, cancellationToken)).Contains(slackUserId))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The Slack user behind an AWS principal, matched by e-mail (SSO session names usually are one); null if none.</summary>
    public async Task<string?> FindSlackUserAsync(Requester requester, CancellationToken cancellationToken) =>
        requester.Email is { } email
            ? await _emailCache.GetAsync(email, ct => slack.LookupUserByEmailAsync(email, ct), cancellationToken)
            : null;

    private Task<IReadOnlySet<string>> MembersAsync(string group, CancellationToken cancellationToken) =>
        _groupCache.GetAsync(group, async ct => (IReadOnlySet<string>)(await slack.GetUserGroupMembersAsync(group, ct)).ToHashSet(StringComparer.Ordinal), cancellationToken);
}
