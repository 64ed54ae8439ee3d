using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Fakes;

/// <summary>Time-bound approvals over the same fakes: the expiry index, the expiry service, the access clicks.</summary>
public sealed partial class Bridge
{
    public InMemoryAccessExpiryIndex Expiries { get; } = new();

    public InMemorySlackThreadStore Threads { get; } = new();

    public ApprovalsOptions Approvals { get; } = new();

    public ApproverDirectory Approvers() => new(Slack, O.Create(SlackOptions), Time);

    public AccessNotifier AccessNotifier() => new(Slack, Threads, Approvers(), Requests, O.Create(SlackOptions), NullLogger<AccessNotifier>.Instance, Telemetry);

    public ApplyService TimeBoundApplier() =>
        new(Requests, Lifecycle(), Reconciler(), Ec2, O.Create(Processing), Time, NullLogger<ApplyService>.Instance, Expiries);

    /// <summary>The accounts the bridge knows and their skip state (a missing member role).</summary>
    public SgBridge.Tests.Reconcile.InMemoryKnownAccounts KnownAccounts { get; } = new();

    public SgBridge.Shared.Reconcile.AccountSkips AccountSkips() =>
        new(KnownAccounts, new SgBridge.Shared.Reconcile.OperationsNotices(Slack, O.Create(SlackOptions), NullLogger<SgBridge.Shared.Reconcile.OperationsNotices>.Instance),
            O.Create(Reconcile), Telemetry, NullLogger<SgBridge.Shared.Reconcile.AccountSkips>.Instance);

    public AccessExpiryService AccessExpiry() =>
        new(Expiries, Groups, Requests, Lifecycle(), Reconciler(), Ec2, AccessNotifier(), AccountSkips(), O.Create(Approvals), Time, NullLogger<AccessExpiryService>.Instance, Telemetry);

    public AccessDecisionService AccessDecisions() =>
        new(Approvers(), Requests, Threads, Groups, Expiries, Lifecycle(), Time, NullLogger<AccessDecisionService>.Instance);
}
