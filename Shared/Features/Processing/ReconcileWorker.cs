using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The reconcile queue's handler (function ReconcileGroups). Onboarding runs here with the app's own identity, and its
/// outcome is stored (<see cref="IBaselineResultStore"/>, read by <c>sgbridge accounts</c>) and posted to monitoring;
/// sweeps and settle checks go to <see cref="SweepService"/>. An account whose member role cannot be assumed
/// (<see cref="RoleNotAssumableException"/>: not deployed, or the account left the OU) is a state, not a failure: it is
/// recorded on the account (<see cref="IKnownAccountStore"/>), warned about once a day, and the message completes —
/// retrying cannot deploy a role, so it never becomes a poison message. The next sweep that gets in clears the state.
/// </summary>
public sealed class ReconcileWorker(
    SweepService sweeps,
    BaselineService baseline,
    IKnownAccountStore accounts,
    IBaselineResultStore results,
    OperationsNotices notices,
    AccountSkips skips,
    IOptions<PolicyOptions> policy,
    TimeProvider time)
{
    /// <summary>The skip reason people see (CLI, monitoring, logs).</summary>
    public const string RoleNotDeployed = AccountSkips.RoleNotDeployed;

    private readonly PolicyOptions _policy = policy.Value;

    public async Task HandleAsync(ReconcileCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            if (command.Baseline && command.GroupId is null && _policy.AllowsAccount(command.AccountId))
            {
                await accounts.NoteAsync(command.AccountId, "baseline", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                var summary = await baseline.BaselineAsync(command.AccountId, command.Region, command.Force, cancellationToken).ConfigureAwait(false);
                var result = BaselineResult.From(summary, time.GetUtcNow());
                await results.RecordAsync(result, cancellationToken).ConfigureAwait(false);
                await notices.BaselineAsync(result, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await sweeps.HandleAsync(command, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RoleMissing(ex) is { } missing)
        {
            await SkippedAsync(command, missing, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (command.GroupId is null && command.EndAccess is null && _policy.AllowsAccount(command.AccountId))
        {
            await accounts.ClearSkipAsync(command.AccountId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SkippedAsync(ReconcileCommand command, RoleNotAssumableException missing, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await skips.RecordAsync(command.AccountId, command.Region, missing, now, cancellationToken).ConfigureAwait(false);
        if (command.Baseline)
        {
            await results.RecordAsync(BaselineResult.SkippedFor(command.AccountId, command.Region, RoleNotDeployed, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The role refusal, also when the AWS SDK wrapped it (<see cref="AccountSkips.RoleMissing"/>).</summary>
    public static RoleNotAssumableException? RoleMissing(Exception? ex) => AccountSkips.RoleMissing(ex);
}
