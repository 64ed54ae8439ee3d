using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;

namespace SgBridge.Tests.Fakes;

/// <summary>Time-bound approvals from the same graph: the expiry index, the expiry service, the access clicks.</summary>
public sealed partial class Bridge
{
    public InMemoryAccessExpiryIndex Expiries { get; } = new();

    public InMemorySlackThreadStore Threads { get; } = new();

    public ApprovalsOptions Approvals { get; } = new();

    public ApproverDirectory Approvers() => Get<ApproverDirectory>();

    public AccessNotifier AccessNotifier() => Get<AccessNotifier>();

    public ApplyService TimeBoundApplier() => Get<ApplyService>();

    public AccessExpiryService AccessExpiry() => Get<AccessExpiryService>();

    public SgBridge.Shared.Reconcile.AccountSkips AccountSkips() => Get<SgBridge.Shared.Reconcile.AccountSkips>();

    public AccessDecisionService AccessDecisions() => Get<AccessDecisionService>();
}
