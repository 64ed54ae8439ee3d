namespace SgBridge.Shared.Reconcile;

/// <summary>
/// Work on the reconcile queue. <see cref="GroupId"/> null: sweep the account and region (or, with <see cref="Baseline"/>,
/// onboard it; with <see cref="ReportOnly"/>, the operator's `reconcile --enqueue --report-only`: every difference is
/// reported at once, nothing in AWS changes). With a group: a settle check acting only on the differences listed in
/// <see cref="Settle"/>; or, with <see cref="EndAccess"/>, an early revoke of time-bound access carried out now (not at
/// the next expiry tick).
/// </summary>
public sealed record ReconcileCommand(string AccountId, string Region, string? GroupId = null, IReadOnlyList<string>? Settle = null,
    bool Baseline = false, bool Force = false, Approvals.AccessExpiryEntry? EndAccess = null, bool ReportOnly = false);
