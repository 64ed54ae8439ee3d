using System.ComponentModel.DataAnnotations;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

public sealed class SlackOptions
{
    public const string SectionName = "Slack";

    /// <summary>The default and the upper bound Slack documents for the request timestamp window.</summary>
    public static readonly TimeSpan MaxRequestTimestampTolerance = TimeSpan.FromMinutes(5);

    [Required(ErrorMessage = "Slack:BotToken is required.")]
    public string BotToken { get; set; } = "";

    [Required(ErrorMessage = "Slack:SigningSecret is required.")]
    public string SigningSecret { get; set; } = "";

    /// <summary>Optional. The modal seal's key, ≥ 32 characters (unset: derived from the signing secret, so that alone could forge one).</summary>
    public string? ModalSigningKey { get; set; }

    /// <summary>How long a modal the bridge opened may be submitted (the seal's expiry). Default 12 hours.</summary>
    public TimeSpan ModalLifetime { get; set; } = TimeSpan.FromHours(12);

    [Required(ErrorMessage = "Slack:ApproversChannel is required.")]
    public string ApproversChannel { get; set; } = "";

    [Required(ErrorMessage = "Slack:MonitoringChannel is required.")]
    public string MonitoringChannel { get; set; } = "";

    /// <summary>Slack user ids (U…/W…), separated by commas or spaces.</summary>
    public string? ApproverUserIds { get; set; }

    /// <summary>Slack user group ids (S…), separated by commas.</summary>
    public string? ApproverUserGroupIds { get; set; }

    public string BaseUrl { get; set; } = "https://slack.com/api/";

    /// <summary>How far X-Slack-Request-Timestamp may be from now, either way.</summary>
    public TimeSpan RequestTimestampTolerance { get; set; } = MaxRequestTimestampTolerance;

    /// <summary>Retries after HTTP 429 or 5xx before the client gives up.</summary>
    [Range(0, 10, ErrorMessage = "Slack:MaxRetries must be between 0 and 10.")]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Changes by one requester on one group within this window share a message (Slack allows ~1/s/channel); 0: none.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many changes share a message (Slack allows 50 blocks; each change takes two).</summary>
    [Range(1, 20)]
    public int BatchMaxSize { get; set; } = 10;

    /// <summary>
    /// Changes joining a shared message are gathered this long, then shown with one chat.update (rate limited, ~50 a
    /// minute). In a burst every open batch renders about once per delay, each render reading the batch's requests:
    /// 20 s halves the updates Slack must take, and the round trips, that 10 s asked for (docs/performance.md).
    /// </summary>
    public TimeSpan BatchRenderDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>After a decision on a shared message, it is updated this soon (decisions are few and people wait for them).</summary>
    public TimeSpan BatchDecisionRenderDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Who made a change when the event carries no e-mail: ARN patterns (<c>*</c> matches anything) and the Slack user
    /// behind them, e.g. <c>arn:aws:iam::*:role/ops-alice*=U0ALICE</c>; matched against the caller and the role behind a session.
    /// </summary>
    public string? RequesterMap { get; set; }

    /// <summary>What an approval needs when the requester cannot be matched to a Slack user (so self-approval cannot be ruled out).</summary>
    public UnresolvedRequesterPolicy UnresolvedRequester { get; set; } = UnresolvedRequesterPolicy.RequireTwoApprovers;

    public IReadOnlyList<string> GetApproverUserIds() => SplitList(ApproverUserIds);

    /// <summary>The <see cref="RequesterMap"/> entries as (pattern, Slack user id); entries without '=' are left out (the validator reports them).</summary>
    public IReadOnlyList<(string Pattern, string SlackUserId)> GetRequesterMap() =>
        SplitList(RequesterMap)
            .Select(e => e.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2 && p[0].Length > 0 && p[1].Length > 0)
            .Select(p => (p[0], p[1]))
            .ToArray();

    internal IEnumerable<string> MalformedRequesterMapEntries() =>
        SplitList(RequesterMap).Where(e => e.Split('=', 2, StringSplitOptions.TrimEntries) is not [{ Length: > 0 }, { Length: > 0 } user] || !user.StartsWith('U') && !user.StartsWith('W'));

    public IReadOnlyList<string> GetApproverUserGroupIds() => SplitList(ApproverUserGroupIds);

    /// <summary>
    /// Approval routes, tried before the global approvers (<c>Slack__Routes__0__Match=account:111111111111</c>, …): a tag
    /// route wins over an account route, an account route over an alias route; within a kind the first listed wins.
    /// </summary>
    public List<SlackRoute> Routes { get; set; } = [];

    /// <summary>
    /// Slack user ids who may approve their own change (break-glass). They must still be approvers of the change's route;
    /// each such approval is announced loudly in the monitoring channel and counted (<c>sgbridge.break_glass</c>).
    /// </summary>
    public string? BreakGlassUserIds { get; set; }

    public IReadOnlyList<string> GetBreakGlassUserIds() => SplitList(BreakGlassUserIds);

    private static string[] SplitList(string? value) => SettingList.Parse(value).Distinct(StringComparer.Ordinal).ToArray();
}

/// <summary>What approving a change needs when its requester cannot be matched to a Slack user.</summary>
public enum UnresolvedRequesterPolicy
{
    /// <summary>One approver, as for any change (self-approval cannot be ruled out).</summary>
    Allow,

    /// <summary>Two different approvers must approve (the default): one of them is certainly not the requester.</summary>
    RequireTwoApprovers,

    /// <summary>Approving in Slack is refused; denying still works.</summary>
    Block,
}

/// <summary>One approval route: which changes it takes, where their approvers' message goes and who may decide them.</summary>
public sealed class SlackRoute
{
    /// <summary><c>account:&lt;12 digits&gt;</c>, <c>alias:&lt;Policy:AccountAliases name&gt;</c> or <c>tag:&lt;key&gt;=&lt;value&gt;</c> (a tag of the security group).</summary>
    public string Match { get; set; } = "";

    /// <summary>The channel (C…/G…) the approvers' message is posted in.</summary>
    public string ApproversChannel { get; set; } = "";

    /// <summary>Slack user ids (U…/W…) who may decide this route's changes, separated by commas.</summary>
    public string? ApproverUserIds { get; set; }

    /// <summary>Slack user group ids (S…) whose members may decide this route's changes.</summary>
    public string? ApproverUserGroupIds { get; set; }

    /// <summary>Optional. The monitoring channel for this route (default: the global <see cref="SlackOptions.MonitoringChannel"/>).</summary>
    public string? MonitoringChannel { get; set; }

    /// <summary>Optional. Whether the global approvers may decide this route's changes too (default false: only the route's approvers).</summary>
    public bool IncludeGlobalApprovers { get; set; }
}
