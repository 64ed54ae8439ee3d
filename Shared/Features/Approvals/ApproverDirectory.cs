using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

/// <summary>The Slack user behind an AWS requester, and how it was found; <see cref="SlackUserId"/> null: not found.</summary>
public sealed record RequesterIdentity(string? SlackUserId, string How)
{
    public static RequesterIdentity Unresolved { get; } = new(null, "unresolved");

    public bool IsResolved => SlackUserId is not null;
}

/// <summary>
/// Who may decide, and which Slack user made a change. Approvers are configured user ids and user-group members;
/// group members and e-mail look-ups are cached briefly so a click is answered well within Slack's 3 seconds.
/// </summary>
public sealed class ApproverDirectory(ISlackClient slack, IOptions<SlackOptions> options, TimeProvider time)
{
    private static readonly TimeSpan GroupTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan EmailTtl = TimeSpan.FromHours(1);
    private readonly IReadOnlySet<string> _users = options.Value.GetApproverUserIds().ToHashSet(StringComparer.Ordinal);
    private readonly IReadOnlySet<string> _breakGlass = options.Value.GetBreakGlassUserIds().ToHashSet(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _groups = options.Value.GetApproverUserGroupIds();
    private readonly SingleFlightCache<string, IReadOnlySet<string>> _groupCache = new(GroupTtl, time, StringComparer.Ordinal);
    private readonly SingleFlightCache<string, string?> _emailCache = new(EmailTtl, time, StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyList<(Regex Pattern, string SlackUserId)> _requesterMap = options.Value.GetRequesterMap()
        .Select(e => (new Regex("^" + Regex.Escape(e.Pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)), e.SlackUserId))
        .ToArray();

    /// <summary>Whether <paramref name="slackUserId"/> is one of the global approvers (a user id or a user group member).</summary>
    public Task<bool> IsApproverAsync(string slackUserId, CancellationToken cancellationToken) =>
        IsMemberAsync(slackUserId, _users, _groups, cancellationToken);

    /// <summary>
    /// Whether <paramref name="slackUserId"/> may decide changes on <paramref name="route"/>: one of its user ids or a
    /// member of one of its user groups (the global approvers only for the default route, or a route that includes them).
    /// </summary>
    public Task<bool> IsApproverAsync(string slackUserId, ApprovalRoute route, CancellationToken cancellationToken) =>
        route.IsDefault
            ? IsApproverAsync(slackUserId, cancellationToken)
            : IsMemberAsync(slackUserId, route.ApproverUserIds, route.ApproverUserGroupIds, cancellationToken);

    /// <summary>Whether <paramref name="slackUserId"/> is configured for break-glass (may approve their own change).</summary>
    public bool IsBreakGlass(string slackUserId) => _breakGlass.Contains(slackUserId);

    /// <summary>The Slack user behind an AWS principal (see <see cref="ResolveRequesterAsync"/>); null if none.</summary>
    public async Task<string?> FindSlackUserAsync(Requester requester, CancellationToken cancellationToken) =>
        (await ResolveRequesterAsync(requester, cancellationToken)).SlackUserId;

    /// <summary>
    /// Finds the Slack user behind an AWS requester: first the configured <see cref="SlackOptions.RequesterMap"/> (caller
    /// ARN, then the role or user behind the session), then an e-mail the event carries (IAM Identity Center session
    /// names are e-mails) looked up in Slack.
    /// </summary>
    public async Task<RequesterIdentity> ResolveRequesterAsync(Requester requester, CancellationToken cancellationToken)
    {
        if (requester.SlackUserId is { } asker)
        {
            // Requested in Slack: the requester is that Slack user, no look-up needed.
            return new RequesterIdentity(asker, "Slack request");
        }
        foreach (var (pattern, user) in _requesterMap)
        {
            if ((requester.Arn is { } arn && pattern.IsMatch(arn)) || (requester.IssuerArn is { } issuer && pattern.IsMatch(issuer)))
            {
                return new RequesterIdentity(user, "Slack:RequesterMap");
            }
        }
        if (requester.Email is { } email
            && await _emailCache.GetAsync(email, ct => slack.LookupUserByEmailAsync(email, ct), cancellationToken) is { } byEmail)
        {
            return new RequesterIdentity(byEmail, "e-mail");
        }
        return RequesterIdentity.Unresolved;
    }

    private async Task<bool> IsMemberAsync(string slackUserId, IEnumerable<string> users, IEnumerable<string> groups, CancellationToken cancellationToken)
    {
        if (users.Contains(slackUserId, StringComparer.Ordinal))
        {
            return true;
        }
        foreach (var group in groups)
        {
            var members = await _groupCache.GetAsync(group,
                async ct => (IReadOnlySet<string>)(await slack.GetUserGroupMembersAsync(group, ct)).ToHashSet(StringComparer.Ordinal), cancellationToken);
            if (members.Contains(slackUserId))
            {
                return true;
            }
        }
        return false;
    }
}
