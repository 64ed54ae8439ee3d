using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<string, (IReadOnlySet<string> Members, DateTimeOffset Until)> _groupCache = new();
    private readonly ConcurrentDictionary<string, (string? UserId, DateTimeOffset Until)> _emailCache = new(StringComparer.OrdinalIgnoreCase);

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
    public async Task<string?> FindSlackUserAsync(Requester requester, CancellationToken cancellationToken)
    {
        if (requester.Email is not { } email)
        {
            return null;
        }
        var now = time.GetUtcNow();
        if (_emailCache.TryGetValue(email, out var hit) && hit.Until > now)
        {
            return hit.UserId;
        }
        var userId = await slack.LookupUserByEmailAsync(email, cancellationToken);
        _emailCache[email] = (userId, now + EmailTtl);
        return userId;
    }

    private async Task<IReadOnlySet<string>> MembersAsync(string group, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_groupCache.TryGetValue(group, out var hit) && hit.Until > now)
        {
            return hit.Members;
        }
        var members = (await slack.GetUserGroupMembersAsync(group, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        _groupCache[group] = (members, now + GroupTtl);
        return members;
    }
}
