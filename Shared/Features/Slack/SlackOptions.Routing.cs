using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Routing of approver messages per account, alias or group tag, and break-glass.</summary>
public sealed partial class SlackOptions
{
    /// <summary>
    /// Approval routes, tried before the global <see cref="ApproversChannel"/>/<see cref="ApproverUserIds"/>: app settings
    /// <c>Slack__Routes__0__Match=account:111111111111</c>, <c>Slack__Routes__0__ApproversChannel=C0PROD</c>, … (see
    /// <see cref="SlackRoute"/>). A tag route wins over an account route, an account route over an alias route; among
    /// routes of one kind the first listed wins; no match: the global settings.
    /// </summary>
    public List<SlackRoute> Routes { get; set; } = [];

    /// <summary>
    /// Slack user ids (U…/W…) who may approve their own change (break-glass). They must still be approvers of the
    /// change's route; each such approval is announced loudly in the monitoring channel and counted
    /// (<c>sgbridge.break_glass</c>). App setting <c>Slack__BreakGlassUserIds</c>.
    /// </summary>
    public string? BreakGlassUserIds { get; set; }

    public IReadOnlyList<string> GetBreakGlassUserIds() => SettingList.Parse(BreakGlassUserIds).Distinct(StringComparer.Ordinal).ToArray();
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
