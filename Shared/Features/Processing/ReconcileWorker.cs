using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The reconcile queue's handler: onboarding (its outcome stored and posted to monitoring), sweeps and settle checks. A
/// member role that cannot be assumed is a state recorded on the account (<see cref="AccountSkips"/>), not a failure: the
/// message completes, since retrying cannot deploy a role; the next sweep that gets in clears the state.
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
    private readonly PolicyOptions _policy = policy.Value;

    public async Task HandleAsync(ReconcileMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await (message switch
            {
                BaselineRegion onboard => HandleAsync(onboard, cancellationToken),
                SweepRegion sweep => sweeps.HandleAsync(sweep, cancellationToken),
                SettleGroup settle => sweeps.HandleAsync(settle, cancellationToken),
                _ => throw new ArgumentException($"Unknown reconcile message {message.GetType().Name}.", nameof(message)),
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (AccountSkips.RoleMissing(ex) is { } missing)
        {
            await SkippedAsync(message, missing, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (message is not SettleGroup && _policy.AllowsAccount(message.AccountId))
        {
            await accounts.ClearSkipAsync(message.AccountId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Onboarding: its outcome is stored and posted to monitoring.</summary>
    private async Task HandleAsync(BaselineRegion onboard, CancellationToken cancellationToken)
    {
        if (!sweeps.Allows(onboard.AccountId))
        {
            return;
        }
        await accounts.NoteAsync(onboard.AccountId, "baseline", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var summary = await baseline.BaselineAsync(onboard.AccountId, onboard.Region, onboard.Force, cancellationToken).ConfigureAwait(false);
        var result = BaselineResult.From(summary, time.GetUtcNow());
        await results.RecordAsync(result, cancellationToken).ConfigureAwait(false);
        await notices.BaselineAsync(result, cancellationToken).ConfigureAwait(false);
    }

    private async Task SkippedAsync(ReconcileMessage message, RoleNotAssumableException missing, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await skips.RecordAsync(message.AccountId, message.Region, missing, now, cancellationToken).ConfigureAwait(false);
        if (message is BaselineRegion)
        {
            await results.RecordAsync(BaselineResult.SkippedFor(message.AccountId, message.Region, AccountSkips.RoleNotDeployed, now), cancellationToken).ConfigureAwait(false);
        }
    }
}
