using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Checks <see cref="SlackOptions.Routes"/> and <see cref="SlackOptions.BreakGlassUserIds"/> at start-up; every error names the setting.</summary>
public sealed partial class RoutingOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            var at = $"Slack:Routes:{i}";
            if (RouteSelector.Parse(route.Match) is null)
            {
                failures.Add($"{at}:Match '{route.Match}' must be account:<12-digit id>, alias:<name> or tag:<key>=<value>.");
            }
            else if (!seen.Add(route.Match.Trim()))
            {
                failures.Add($"{at}:Match '{route.Match}' is listed twice.");
            }
            if (!ChannelId().IsMatch(route.ApproversChannel ?? ""))
            {
                failures.Add($"{at}:ApproversChannel '{route.ApproversChannel}' must be a Slack channel id (C…, G…).");
            }
            if (!string.IsNullOrWhiteSpace(route.MonitoringChannel) && !ChannelId().IsMatch(route.MonitoringChannel))
            {
                failures.Add($"{at}:MonitoringChannel '{route.MonitoringChannel}' must be a Slack channel id (C…, G…).");
            }
            var users = Options.SettingList.Parse(route.ApproverUserIds);
            var groups = Options.SettingList.Parse(route.ApproverUserGroupIds);
            failures.AddRange(users.Where(u => !UserId().IsMatch(u)).Select(u => $"{at}:ApproverUserIds has '{u}': Slack user ids start with U or W."));
            failures.AddRange(groups.Where(g => !GroupId().IsMatch(g)).Select(g => $"{at}:ApproverUserGroupIds has '{g}': Slack user group ids start with S."));
            if (users.Count == 0 && groups.Count == 0 && !route.IncludeGlobalApprovers)
            {
                failures.Add($"{at} has no approvers: set ApproverUserIds, ApproverUserGroupIds or IncludeGlobalApprovers=true.");
            }
        }
        failures.AddRange(Options.SettingList.Parse(options.BreakGlassUserIds).Where(u => !UserId().IsMatch(u))
            .Select(u => $"Slack:BreakGlassUserIds has '{u}': Slack user ids start with U or W."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[CG][A-Z0-9]{2,30}$")]
    private static partial Regex ChannelId();

    [GeneratedRegex("^[UW][A-Z0-9]{1,30}$")]
    private static partial Regex UserId();

    [GeneratedRegex("^S[A-Z0-9]{1,30}$")]
    private static partial Regex GroupId();
}
