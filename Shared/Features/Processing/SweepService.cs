using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Reconcile;

public sealed record SweepReport(string AccountId, string Region, int Groups, int GroupsWithDifferences, int Differences, IReadOnlyList<ChangeRequest> Requests);

/// <summary>
/// Drift: changes no event reported (CloudTrail → EventBridge is best effort). A sweep describes a region once and, for
/// each group that differs from its approved state, queues a settle check after <see cref="ReconcileOptions.SettleDelay"/>,
/// which acts on the differences still there and opens a drift request for them.
/// </summary>
public sealed partial class SweepService(
    GroupReconciler reconciler,
    IGroupStateStore groups,
    ISecurityGroupClientFactory aws,
    RequestLifecycle lifecycle,
    IQueueSender queue,
    IOptions<ReconcileOptions> options,
    IOptions<PolicyOptions> policy,
    TimeProvider time,
    ILogger<SweepService> logger,
    BridgeTelemetry telemetry)
{
    private readonly ReconcileOptions _options = options.Value;
    private readonly PolicyOptions _policy = policy.Value;

    public static Requester FoundBySweep(string accountId) =>
        new(PrincipalType.Unknown, null, accountId, null, null, "unknown: found by the sweep", null, null, null, null);

    /// <summary>True when the policy's allow list has <paramref name="accountId"/>; a refusal is logged.</summary>
    public bool Allows(string accountId)
    {
        if (_policy.AllowsAccount(accountId))
        {
            return true;
        }
        LogRefused(logger, accountId);
        return false;
    }

    /// <summary>The handler of <see cref="SweepRegion"/>: the operator's report-only sweep acts on every difference at once.</summary>
    public async Task HandleAsync(SweepRegion sweep, CancellationToken cancellationToken)
    {
        if (!Allows(sweep.AccountId))
        {
            return;
        }
        await SweepAsync(sweep.AccountId, sweep.Region, actNow: sweep.ReportOnly || _options.SettleDelay <= TimeSpan.Zero,
            reportOnly: sweep.ReportOnly || _options.Mode == ReconcileMode.Report, cancellationToken);
    }

    public async Task HandleAsync(SettleGroup settle, CancellationToken cancellationToken)
    {
        if (Allows(settle.AccountId))
        {
            await SettleAsync(settle.AccountId, settle.Region, settle.GroupId, settle.Differences ?? [], _options.Mode == ReconcileMode.Report, cancellationToken);
        }
    }

    /// <summary><paramref name="actNow"/>: act on every difference at once (the operator's command, or a zero settle delay);
    /// otherwise each group with differences gets a settle check later.</summary>
    public async Task<SweepReport> SweepAsync(string accountId, string region, bool actNow, bool reportOnly, CancellationToken cancellationToken)
    {
        var client = await aws.CreateAsync(accountId, region, cancellationToken);
        var live = await client.DescribeRegionAsync(cancellationToken);
        var approved = (await groups.ListAsync(accountId, region, cancellationToken).ToListAsync(cancellationToken))
            .ToDictionary(g => g.GroupId, StringComparer.Ordinal);
        var requests = new List<ChangeRequest>();
        int differing = 0, differences = 0;
        foreach (var group in live)
        {
            var rules = _policy.PoliceEgress ? [.. group.IngressRules, .. group.EgressRules] : group.IngressRules;
            IReadOnlyList<string> keys = []; // first sight: the settle check adopts or enforces it
            if (approved.TryGetValue(group.GroupId, out var state))
            {
                var difference = GroupDifference.Compute(_policy.PoliceEgress ? state.RuleSet : state.RuleSet.Where(r => !r.Egress).ToArray(), rules);
                if (difference.IsEmpty)
                {
                    continue;
                }
                keys = difference.Items.Select(i => i.Key).ToArray();
            }
            differing++;
            differences += keys.Count;
            if (actNow)
            {
                requests.AddRange(await SettleAsync(accountId, region, group.GroupId, keys, reportOnly, cancellationToken, everything: true));
            }
            else
            {
                await ReconcileMessage.SendAsync(queue, new SettleGroup(accountId, region, group.GroupId, keys), _options.SettleDelay, cancellationToken);
            }
        }
        LogSwept(logger, accountId, region, live.Count, differing, differences);
        return new SweepReport(accountId, region, live.Count, differing, differences, requests);
    }

    /// <summary>Acts on the differences of one group that were seen before and are still there, and opens drift requests for them.</summary>
    public async Task<IReadOnlyList<ChangeRequest>> SettleAsync(string accountId, string region, string groupId, IReadOnlyCollection<string> keys, bool reportOnly,
        CancellationToken cancellationToken, bool everything = false)
    {
        var client = await aws.CreateAsync(accountId, region, cancellationToken);
        ReconcileScope scope = everything ? new ReconcileScope.All() : new ReconcileScope.Settle(keys);
        var report = await reconciler.ReconcileAsync(client, accountId, region, groupId, scope, reportOnly, cancellationToken);
        if (!report.GroupExists || report.Acted.Count == 0)
        {
            return [];
        }
        var opened = new List<ChangeRequest>();
        var now = time.GetUtcNow();
        // One request per kind of difference: unapproved rules were an add, missing ones a removal, changed ones a modify.
        foreach (var group in report.Acted.GroupBy(i => i.Kind).OrderBy(g => g.Key))
        {
            var items = group.ToArray();
            var kind = group.Key switch
            {
                DifferenceKind.Unapproved => ChangeKind.Add,
                DifferenceKind.Missing => ChangeKind.Remove,
                _ => ChangeKind.Modify,
            };
            // Reported drift keeps one request while it lasts (the same differences give the same id); reverted drift
            // that comes back is a new request each time.
            var fingerprint = Hash(string.Join('\n', items.Select(i => i.Key).Order(StringComparer.Ordinal)) + (reportOnly ? "" : "@" + now.UtcTicks));
            var change = new SecurityGroupChange
            {
                EventId = $"drift-{accountId}-{region}-{groupId}-{fingerprint}",
                EventName = "Drift (found by the sweep)",
                EventTime = now,
                AccountId = accountId,
                Region = region,
                GroupId = groupId,
                GroupName = report.GroupName,
                Kind = kind,
                Requester = FoundBySweep(accountId),
            };
            var request = ChangeRequest.Open(RequestId.For(change.EventId), change, now);
            var found = ChangeProcessor.Found(kind, items);
            request.RecordFound(groupId, report.GroupName, report.VpcId, found.Rules, [], found.Edits, false, now);
            var outcome = report.FirstSight is null ? report.Outcome : report.Outcome with { Notes = [report.FirstSight, .. report.Outcome.Notes] };
            if (reportOnly)
            {
                request.MarkReported(outcome, now);
            }
            else if (report.Succeeded)
            {
                request.MarkReverted(outcome, now);
            }
            else
            {
                request.MarkRevertFailed(outcome, now);
            }
            Stored<ChangeRequest> stored;
            bool created;
            try
            {
                (stored, created) = await lifecycle.OpenAsync(request, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // AWS already changed; a retry of this check finds nothing left to record. Make the loss loud instead.
                telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "drift_unrecorded"));
                LogDriftUnrecorded(logger, ex, accountId, region, groupId, string.Join("; ", items.Select(i => i.Describe())), request.Status);
                throw;
            }
            if (created)
            {
                telemetry.Drift.Add(items.Length, new KeyValuePair<string, object?>("kind", kind.ToString()), new KeyValuePair<string, object?>("mode", reportOnly ? "report" : "enforce"));
                LogDrift(logger, stored.Value.Id, accountId, region, groupId, items.Length, stored.Value.Status);
                opened.Add(stored.Value);
            }
        }
        return opened;
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();

    [LoggerMessage(5301, LogLevel.Information, "Swept {AccountId}/{Region}: {Groups} groups, {Differing} differ from their approved state ({Differences} differences)")]
    private static partial void LogSwept(ILogger logger, string accountId, string region, int groups, int differing, int differences);

    [LoggerMessage(5302, LogLevel.Warning, "Drift request {RequestId} in {AccountId}/{Region} on {GroupId}: {Count} difference(s) no event explained; {Status}")]
    private static partial void LogDrift(ILogger logger, string requestId, string accountId, string region, string groupId, int count, RequestStatus status);

    [LoggerMessage(5305, LogLevel.Critical, "Drift in {AccountId}/{Region} on {GroupId} was {Status} but its request could not be stored: {Differences}")]
    private static partial void LogDriftUnrecorded(ILogger logger, Exception exception, string accountId, string region, string groupId, string differences, RequestStatus status);

    [LoggerMessage(5304, LogLevel.Error, "Refused reconcile work for account {AccountId}: not in Policy:AllowedAccounts")]
    private static partial void LogRefused(ILogger logger, string accountId);
}
