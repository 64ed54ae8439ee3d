using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// What the bridge tells the monitoring channel about its own coverage (onboarding outcomes, risky first-sight
/// adoptions, skipped accounts); each is also logged, so a Slack outage leaves the log line.
/// </summary>
public sealed partial class OperationsNotices(ISlackClient slack, IOptions<SlackOptions> options, ILogger<OperationsNotices> logger)
{
    private readonly string _monitoring = options.Value.MonitoringChannel;

    public Task BaselineAsync(BaselineResult result, CancellationToken cancellationToken)
    {
        LogBaseline(logger, result.AccountId, result.Region, result.Describe());
        var risky = result.RiskyCount == 0
            ? ""
            : "\nAccepted as approved, review them (`sgbridge accounts`):" + Bullets(result.RiskyRules.Take(20))
                + (result.RiskyCount > 20 ? $"\n… and {result.RiskyCount - 20} more." : "");
        return PostAsync($":clipboard: Onboarding (baseline) {SlackText.Escape(result.Describe())}.{risky}", cancellationToken);
    }

    /// <summary>A group first seen after onboarding was adopted with rules open to the internet: nobody approved them.</summary>
    public Task RiskyAdoptionAsync(ApprovedGroup group, IReadOnlyList<(SecurityGroupRule Rule, string Risk)> risky, CancellationToken cancellationToken)
    {
        var lines = string.Join("; ", risky.Select(r => $"{r.Rule.Describe()} — {r.Risk}"));
        LogRiskyAdoption(logger, group.AccountId, group.Region, group.GroupId, risky.Count, lines);
        return PostAsync($":warning: First sight of {SlackText.Escape(group.GroupId)} ({SlackText.Escape(group.GroupName)}) in " +
            $"{SlackText.Escape(group.AccountId)}/{SlackText.Escape(group.Region)}: adopted as approved " +
            $"(Reconcile:UnknownGroups=Adopt) with {risky.Count} risky rule(s) nobody approved:" +
            Bullets(risky.Take(20).Select(r => $"{r.Rule.Describe()} — {r.Risk}")) +
            "\nIf they should not be there, remove them in AWS (the bridge keeps the group at what is approved) or take a baseline first.",
            cancellationToken);
    }

    /// <summary>The member role cannot be assumed in the account: the sweep skips it (once a day).</summary>
    public Task AccountSkippedAsync(string accountId, string region, string reason, CancellationToken cancellationToken)
    {
        LogSkipped(logger, accountId, region, reason);
        return PostAsync($":no_entry: Account {SlackText.Escape(accountId)} skipped ({SlackText.Escape(region)} and any other region today): {SlackText.Escape(reason)}. " +
            "Deploy the member role there (the StackSet's instance for its OU), or offboard it: `sgbridge offboard --account " + SlackText.Escape(accountId) + "`. " +
            "Told once a day; `sgbridge accounts` shows the state.", cancellationToken);
    }

    private static string Bullets(IEnumerable<string> lines) => string.Concat(lines.Select(l => "\n• " + SlackText.Escape(l)));

    private async Task PostAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            await slack.PostMessageAsync(_monitoring, text, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSlackFailed(logger, ex);
        }
    }

    [LoggerMessage(5350, LogLevel.Warning, "Baseline of {AccountId}/{Region} done: {Summary}")]
    private static partial void LogBaseline(ILogger logger, string accountId, string region, string summary);

    [LoggerMessage(5351, LogLevel.Warning, "First sight of {GroupId} in {AccountId}/{Region}: adopted with {Count} risky rule(s) nobody approved: {Rules}")]
    private static partial void LogRiskyAdoption(ILogger logger, string accountId, string region, string groupId, int count, string rules);

    [LoggerMessage(5352, LogLevel.Warning, "Account {AccountId} skipped ({Region}): {Reason}. Deploy the member role there or offboard the account")]
    private static partial void LogSkipped(ILogger logger, string accountId, string region, string reason);

    [LoggerMessage(5353, LogLevel.Error, "Could not tell the monitoring channel about the bridge's coverage")]
    private static partial void LogSlackFailed(ILogger logger, Exception exception);
}
