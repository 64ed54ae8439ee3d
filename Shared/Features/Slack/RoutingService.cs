using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Slack;

/// <summary>The channels a batch is shown in and, when approvers must see it, their message (with the blast radius).</summary>
public sealed record RoutedBatch(ApprovalRoute Route, SlackMessage? ApproverMessage);

/// <summary>Routing and the blast radius: a batch's route is chosen once and recorded; its message and every click use it.</summary>
public sealed partial class RoutingService(
    ApprovalRouter router,
    ISlackThreadStore threads,
    ISecurityGroupClientFactory ec2,
    BlastRadiusReader blastRadius,
    ISlackClient slack,
    IOptions<BlastRadiusOptions> blastOptions,
    IOptions<PolicyOptions> policy,
    BridgeTelemetry telemetry,
    ILogger<RoutingService> logger)
{
    private readonly TimeSpan _tagBudget = blastOptions.Value.Budget;
    private readonly IReadOnlyDictionary<string, string> _aliases = policy.Value.AccountAliasMap;
    private readonly Counter<long> _breakGlass = telemetry.Meter.CreateCounter<long>("sgbridge.break_glass", description: "Approvals of their own change by break-glass users, by account.");

    /// <summary>The batch's route and, when <paramref name="approversNeeded"/>, the approvers' message with the group's blast radius.</summary>
    public async Task<RoutedBatch> PrepareAsync(string leadId, IReadOnlyList<ChangeRequest> batch, bool approversNeeded, string? alias, string? requesterSlackUserId,
        UnresolvedRequesterPolicy? unresolved, CancellationToken cancellationToken)
    {
        var lead = batch[0];
        var routeTask = RouteAsync(leadId, lead, cancellationToken);
        var radiusTask = approversNeeded ? blastRadius.ReadAsync(lead.AccountId, lead.Region, lead.GroupId, cancellationToken) : Task.FromResult<BlastRadius?>(null);
        var route = await routeTask;
        var radius = await radiusTask;
        if (!approversNeeded)
        {
            return new RoutedBatch(route, null);
        }
        var message = ApprovalMessageBuilder.ForApprovers(batch, alias, requesterSlackUserId, unresolved);
        return new RoutedBatch(route, radius is null ? message : ApprovalMessageBuilder.WithBlastRadius(message, batch, radius));
    }

    /// <summary>The route recorded for the batch, else chosen now and recorded (first writer wins); without tag routes, nothing is stored.</summary>
    private async Task<ApprovalRoute> RouteAsync(string leadId, ChangeRequest lead, CancellationToken cancellationToken)
    {
        if (!router.NeedsTags)
        {
            return router.Select(lead.AccountId, null);
        }
        if (await threads.GetAsync(RouteChoice.Row(leadId), cancellationToken) is { } recorded && router.ByName(recorded.Value.Match) is { } known)
        {
            return known;
        }
        var route = router.Select(lead.AccountId, await TagsAsync(lead, cancellationToken));
        var stored = await threads.UpdateAsync(RouteChoice.Row(leadId), r => r is null || router.ByName(r.Match) is null ? new RouteChoice(route.Match) : null, cancellationToken);
        return router.ByName(stored.Value!.Match) ?? route;
    }

    /// <summary>The route a click is checked against: the recorded one; without a record, or when it left the settings, by account and alias.</summary>
    public async Task<ApprovalRoute> RouteForClickAsync(string leadId, ChangeRequest lead, CancellationToken cancellationToken)
    {
        if (!router.NeedsTags)
        {
            return router.Select(lead.AccountId, null);
        }
        var recorded = await threads.GetAsync(RouteChoice.Row(leadId), cancellationToken);
        return (recorded is null ? null : router.ByName(recorded.Value.Match)) ?? router.Select(lead.AccountId, null);
    }

    /// <summary>The route of the batch that shows <paramref name="request"/>: by account alone without tag routes (no read).</summary>
    public async Task<ApprovalRoute> RouteOfAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        if (!router.NeedsTags)
        {
            return router.Select(request.AccountId, null);
        }
        var leadId = (await threads.FindMembershipAsync(request, cancellationToken))?.Membership.Value.LeadId ?? request.Id;
        return await RouteForClickAsync(leadId, request, cancellationToken);
    }

    /// <summary>Counts a break-glass approval; the notice itself goes out from the notifications queue.</summary>
    public void CountBreakGlass(ChangeRequest request) =>
        _breakGlass.Add(1, new KeyValuePair<string, object?>("account", request.AccountId));

    /// <summary>The <see cref="EffectKind.BreakGlassNotice"/> effect; a Slack failure escapes, so the effect stays pending.</summary>
    public async Task TellBreakGlassAsync(ChangeRequest request, string by, CancellationToken cancellationToken)
    {
        var route = await RouteOfAsync(request, cancellationToken);
        var text = ApprovalMessageBuilder.BreakGlassNotice(request, by, _aliases.GetValueOrDefault(request.AccountId));
        foreach (var channel in new[] { route.MonitoringChannel, router.Default.MonitoringChannel }.Distinct(StringComparer.Ordinal))
        {
            await slack.PostMessageAsync(channel, text, null, null, cancellationToken);
        }
        LogBreakGlassTold(logger, request.Id, by, request.AccountId);
    }

    private async Task<IReadOnlyDictionary<string, string>?> TagsAsync(ChangeRequest lead, CancellationToken cancellationToken)
    {
        if (lead.GroupId is null)
        {
            return null;
        }
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_tagBudget);
        try
        {
            var client = await ec2.CreateAsync(lead.AccountId, lead.Region, budget.Token);
            return await client.DescribeGroupTagsAsync(lead.GroupId, budget.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Without the tags only account, alias and default routes can match: the message still goes out.
            var reason = ex is OperationCanceledException ? $"no answer within {_tagBudget.TotalSeconds:0.##} s" : Ec2ReadFailure.Reason(ex, _tagBudget, "DescribeSecurityGroups", null);
            LogTagsUnavailable(logger, lead.GroupId, lead.AccountId, reason);
            return null;
        }
    }

    [LoggerMessage(5702, LogLevel.Warning, "Tags of {GroupId} in {AccountId} unavailable ({Reason}): routing by account, alias or default")]
    private static partial void LogTagsUnavailable(ILogger logger, string groupId, string accountId, string reason);

    [LoggerMessage(5703, LogLevel.Warning, "Break-glass approval of {RequestId} by {SlackUserId} announced in the monitoring channel ({AccountId})")]
    private static partial void LogBreakGlassTold(ILogger logger, string requestId, string slackUserId, string accountId);
}
