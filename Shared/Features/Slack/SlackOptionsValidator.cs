using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Cross-field rules that data annotations cannot express, routes and break-glass included; every error names the setting.</summary>
public sealed partial class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        var failures = new List<string>();
        void Require(bool ok, string failure)
        {
            if (!ok)
            {
                failures.Add(failure);
            }
        }

        Require(options.GetApproverUserIds().Count > 0 || options.GetApproverUserGroupIds().Count > 0,
            "Slack:ApproverUserIds or Slack:ApproverUserGroupIds must list at least one approver.");
        Require(Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUri) && baseUri.Scheme is "https" or "http",
            "Slack:BaseUrl must be an absolute http or https URL.");
        Require(options.RequestTimestampTolerance > TimeSpan.Zero
            && options.RequestTimestampTolerance <= SlackOptions.MaxRequestTimestampTolerance,
            "Slack:RequestTimestampTolerance must be greater than zero and at most 5 minutes.");
        Require(options.ModalSigningKey is not { Length: < 32 }, "Slack:ModalSigningKey must have at least 32 characters when set.");
        Require(options.ModalLifetime > TimeSpan.Zero && options.ModalLifetime <= TimeSpan.FromDays(7),
            "Slack:ModalLifetime must be greater than zero and at most 7 days.");
        failures.AddRange(options.MalformedRequesterMapEntries()
            .Select(e => $"Slack:RequesterMap entry '{e}' must be <ARN pattern>=<Slack user id (U… or W…)>."));
        Routes(options, failures);
        failures.AddRange(SettingList.Parse(options.BreakGlassUserIds).Where(u => !SlackIds.IsUserId(u))
            .Select(u => $"Slack:BreakGlassUserIds has '{u}': Slack user ids start with U or W."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Routes(SlackOptions options, List<string> failures)
    {
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
            var users = SettingList.Parse(route.ApproverUserIds);
            var groups = SettingList.Parse(route.ApproverUserGroupIds);
            failures.AddRange(users.Where(u => !SlackIds.IsUserId(u)).Select(u => $"{at}:ApproverUserIds has '{u}': Slack user ids start with U or W."));
            failures.AddRange(groups.Where(g => !GroupId().IsMatch(g)).Select(g => $"{at}:ApproverUserGroupIds has '{g}': Slack user group ids start with S."));
            if (users.Count == 0 && groups.Count == 0 && !route.IncludeGlobalApprovers)
            {
                failures.Add($"{at} has no approvers: set ApproverUserIds, ApproverUserGroupIds or IncludeGlobalApprovers=true.");
            }
        }
    }

    [GeneratedRegex("^[CG][A-Z0-9]{2,30}$")]
    private static partial Regex ChannelId();

    [GeneratedRegex("^S[A-Z0-9]{1,30}$")]
    private static partial Regex GroupId();
}
