using SgBridge.Shared.Options;

namespace SgBridge.Cli;

/// <summary>
/// Settings only the CLI reads (section "Cli", app-setting form <c>Cli__Name</c>, from the environment or <c>--settings</c>).
/// </summary>
public sealed class CliOptions
{
    public const string SectionName = "Cli";

    /// <summary>
    /// Operators who may approve their own change from the CLI (break-glass, as <c>Slack__BreakGlassUserIds</c> in Slack):
    /// names as the CLI knows them (Entra user, OS user, or the <c>--as</c> name), comma separated. Such an approval
    /// raises the loud break-glass notice in the monitoring channel(s). Empty: nobody.
    /// </summary>
    public string? BreakGlassOperators { get; set; }

    /// <summary>
    /// The Slack workspace's URL (<c>https://acme.slack.com</c>, as auth.test's <c>url</c>): <c>requests show</c> and
    /// <c>export</c> build each message's permalink from it and the stored channel and ts, as Slack's own permalinks read
    /// (<c>/archives/C…/p…</c>), with no Slack call. Empty: the channel and ts are given, no permalink.
    /// </summary>
    public string? SlackWorkspaceUrl { get; set; }

    public IReadOnlyList<string> GetBreakGlassOperators() => SettingList.Parse(BreakGlassOperators);
}
