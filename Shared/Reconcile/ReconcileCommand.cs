namespace SgBridge.Shared.Reconcile;

/// <summary>
/// Work on the reconcile queue. <see cref="GroupId"/> null: sweep the account and region (or, with <see cref="Baseline"/>,
/// onboard it). With a group: a settle check acting only on the differences listed in <see cref="Settle"/>.
/// </summary>
public sealed record ReconcileCommand(string AccountId, string Region, string? GroupId = null, IReadOnlyList<string>? Settle = null,
    bool Baseline = false, bool Force = false);
