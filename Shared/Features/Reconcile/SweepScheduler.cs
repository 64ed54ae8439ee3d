using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The sweep's timer: at each <see cref="ReconcileOptions.Interval"/>, one sweep per account × region; the accounts are
/// Policy:AllowedAccounts, or with <c>*</c> every account the bridge knows (one partition read per tick).
/// </summary>
public sealed partial class SweepScheduler(
    IKnownAccountStore known,
    OperatorJobs jobs,
    IOptions<ReconcileOptions> options,
    IOptions<PolicyOptions> policy,
    TimeProvider time,
    ILogger<SweepScheduler> logger)
{
    private readonly ReconcileOptions _options = options.Value;
    private readonly PolicyOptions _policy = policy.Value;

    /// <summary>Called every minute. Returns how many sweeps were enqueued.</summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var interval = _options.Interval;
        var now = time.GetUtcNow();
        if (interval <= TimeSpan.Zero || now.UtcTicks / interval.Ticks == (now - TimeSpan.FromMinutes(1)).UtcTicks / interval.Ticks)
        {
            return 0;
        }
        var regions = _options.RegionList;
        if (regions.Count == 0)
        {
            LogSweepOff(logger);
            return 0;
        }
        var accounts = await AccountsAsync(cancellationToken).ConfigureAwait(false);
        if (accounts.Count == 0)
        {
            LogNoAccounts(logger);
            return 0;
        }
        return await jobs.EnqueueReconcileAsync(accounts, regions, reportOnly: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The accounts a sweep covers: the allow-list's, or with <c>*</c> the known accounts (still allowed).</summary>
    public async Task<IReadOnlyList<string>> AccountsAsync(CancellationToken cancellationToken)
    {
        IEnumerable<string> candidates = _policy.AllowsEveryAccount
            ? (await known.ListAsync(cancellationToken).ConfigureAwait(false)).Select(a => a.AccountId)
            : _policy.AllowedAccountSet;
        return candidates.Where(_policy.AllowsAccount).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    [LoggerMessage(5303, LogLevel.Warning, "The sweep is off: set Reconcile:Regions (the azd variable SGBRIDGE_REGIONS) so drift is found")]
    private static partial void LogSweepOff(ILogger logger);

    [LoggerMessage(5354, LogLevel.Warning, "The sweep has no account to cover: with Policy:AllowedAccounts=* it covers the accounts the bridge knows — onboard them (sgbridge baseline --enqueue)")]
    private static partial void LogNoAccounts(ILogger logger);
}
