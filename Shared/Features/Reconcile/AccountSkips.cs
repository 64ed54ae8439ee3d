using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// An account whose member role cannot be assumed is a state, not a failure: recorded on the account, told to the
/// monitoring channel once a day, and work there waits <see cref="RetryAfter"/> (retrying sooner cannot deploy a role).
/// </summary>
public sealed partial class AccountSkips(
    IKnownAccountStore accounts,
    OperationsNotices notices,
    IOptions<ReconcileOptions> reconcile,
    BridgeTelemetry telemetry,
    ILogger<AccountSkips> logger)
{
    /// <summary>The skip reason people see (CLI, monitoring, logs).</summary>
    public const string RoleNotDeployed = "role not deployed";

    /// <summary>How long work in a skipped account waits before it tries again: the sweep's interval (15 minutes when the sweep is off).</summary>
    public TimeSpan RetryAfter => reconcile.Value.Interval > TimeSpan.Zero ? reconcile.Value.Interval : TimeSpan.FromMinutes(15);

    /// <summary>Records the skip; tells monitoring when it is the account's first today. Returns true when it told.</summary>
    public async Task<bool> RecordAsync(string accountId, string region, RoleNotAssumableException missing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var warn = await accounts.RecordSkipAsync(accountId, region, RoleNotDeployed, now, cancellationToken).ConfigureAwait(false);
        LogSkipped(logger, accountId, region, missing.RoleArn);
        if (warn)
        {
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "account_skipped"));
            await notices.AccountSkippedAsync(accountId, region, $"{RoleNotDeployed}: {missing.RoleArn} cannot be assumed", cancellationToken).ConfigureAwait(false);
        }
        return warn;
    }

    /// <summary>The role refusal, also when the AWS SDK wrapped it (it is raised while the SDK fetches credentials).</summary>
    public static RoleNotAssumableException? RoleMissing(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is RoleNotAssumableException r)
            {
                return r;
            }
        }
        return ex is AggregateException a ? a.InnerExceptions.Select(RoleMissing).FirstOrDefault(r => r is not null) : null;
    }

    [LoggerMessage(5355, LogLevel.Information, "Skipped {AccountId}/{Region}: role {RoleArn} cannot be assumed (role not deployed); the account's state says so")]
    private static partial void LogSkipped(ILogger logger, string accountId, string region, string roleArn);
}
