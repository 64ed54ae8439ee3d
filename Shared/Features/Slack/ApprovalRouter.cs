using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Where a change's approvers' message goes and who may decide it; <see cref="Match"/> names it (recorded with the batch).</summary>
public sealed record ApprovalRoute(
    string Match,
    string ApproversChannel,
    string MonitoringChannel,
    IReadOnlyList<string> ApproverUserIds,
    IReadOnlyList<string> ApproverUserGroupIds)
{
    public const string DefaultName = "default";

    public bool IsDefault => Match == DefaultName;
}

/// <summary>The route a batch's approvers' message was sent on (a row of its own in the Slack state table, written once).</summary>
public sealed record RouteChoice(string Match)
{
    /// <summary>The route of the batch led by <paramref name="leadId"/>.</summary>
    public static Storage.SlackRow<RouteChoice> Row(string leadId) => new(leadId, "route");
}

/// <summary>Chooses a route: on a group tag first, then the account id, then its alias, else the global settings; within a kind the first listed.</summary>
public sealed class ApprovalRouter(IOptions<SlackOptions> slack, IOptions<PolicyOptions> policy)
{
    private readonly IReadOnlyList<(RouteSelector Selector, ApprovalRoute Route)> _routes = slack.Value.Routes.Select(r => (
            RouteSelector.Parse(r.Match)
                ?? throw new OptionsValidationException(SlackOptions.SectionName, typeof(SlackOptions),
                    [$"Slack:Routes Match '{r.Match}' is not valid."]),
            new ApprovalRoute(
                r.Match.Trim(),
                r.ApproversChannel.Trim(),
                string.IsNullOrWhiteSpace(r.MonitoringChannel) ? slack.Value.MonitoringChannel : r.MonitoringChannel.Trim(),
                WithGlobal(r.ApproverUserIds, r.IncludeGlobalApprovers ? slack.Value.GetApproverUserIds() : []),
                WithGlobal(r.ApproverUserGroupIds, r.IncludeGlobalApprovers ? slack.Value.GetApproverUserGroupIds() : []))))
        .ToArray();

    private readonly IReadOnlyDictionary<string, string> _aliases = policy.Value.AccountAliasMap;

    public ApprovalRoute Default { get; } = new(ApprovalRoute.DefaultName, slack.Value.ApproversChannel, slack.Value.MonitoringChannel,
        slack.Value.GetApproverUserIds(), slack.Value.GetApproverUserGroupIds());

    /// <summary>True when some route matches on a group tag, so the group's tags must be read to choose.</summary>
    public bool NeedsTags => _routes.Any(r => r.Selector.Kind == SelectorKind.Tag);

    /// <summary>The route for a change in <paramref name="accountId"/> on a group with <paramref name="tags"/> (null: unknown, tag routes cannot match).</summary>
    public ApprovalRoute Select(string accountId, IReadOnlyDictionary<string, string>? tags)
    {
        var alias = _aliases.GetValueOrDefault(accountId);
        foreach (var kind in (ReadOnlySpan<SelectorKind>)[SelectorKind.Tag, SelectorKind.Account, SelectorKind.Alias])
        {
            foreach (var (selector, route) in _routes)
            {
                if (selector.Kind == kind && selector.Matches(accountId, alias, tags))
                {
                    return route;
                }
            }
        }
        return Default;
    }

    private static string[] WithGlobal(string? own, IEnumerable<string> global) =>
        SettingList.Parse(own).Concat(global).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The route recorded under <paramref name="match"/>; null when the configuration no longer has it.</summary>
    public ApprovalRoute? ByName(string match) =>
        match == ApprovalRoute.DefaultName ? Default : _routes.FirstOrDefault(r => r.Route.Match == match).Route;
}

internal enum SelectorKind
{
    Account,
    Alias,
    Tag,
}

/// <summary>A parsed <see cref="SlackRoute.Match"/>.</summary>
internal sealed partial record RouteSelector(SelectorKind Kind, string Key, string Value)
{
    public static RouteSelector? Parse(string? match)
    {
        var text = (match ?? "").Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }
        var rest = text[(colon + 1)..].Trim();
        switch (text[..colon].Trim().ToLowerInvariant())
        {
            case "account" when AccountId().IsMatch(rest):
                return new RouteSelector(SelectorKind.Account, rest, "");
            case "alias" when rest.Length > 0:
                return new RouteSelector(SelectorKind.Alias, rest, "");
            case "tag":
                var eq = rest.IndexOf('=', StringComparison.Ordinal);
                return eq > 0 && rest[..eq].Trim().Length is > 0 and <= 128 && rest[(eq + 1)..].Trim().Length <= 256
                    ? new RouteSelector(SelectorKind.Tag, rest[..eq].Trim(), rest[(eq + 1)..].Trim())
                    : null;
            default:
                return null;
        }
    }

    public bool Matches(string accountId, string? alias, IReadOnlyDictionary<string, string>? tags) => Kind switch
    {
        SelectorKind.Account => Key == accountId,
        SelectorKind.Alias => alias is not null && string.Equals(Key, alias, StringComparison.OrdinalIgnoreCase),
        _ => tags is not null && tags.TryGetValue(Key, out var v) && v == Value,
    };

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountId();
}
