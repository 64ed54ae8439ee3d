using System.Text.Json.Serialization;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// A message on the reconcile queue (<see cref="QueueNames.Reconcile"/>): one record per kind, each with one handler
/// (ReconcileWorker routes by type); the JSON names the kind. Send it with <see cref="SendAsync(IQueueSender, ReconcileMessage, TimeSpan, CancellationToken)"/>,
/// as the base type, so that the kind is written.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(SweepRegion), "sweep")]
[JsonDerivedType(typeof(BaselineRegion), "baseline")]
[JsonDerivedType(typeof(SettleGroup), "settle")]
public abstract record ReconcileMessage(string AccountId, string Region)
{
    public static Task SendAsync(IQueueSender queue, ReconcileMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.SendAsync(QueueNames.Reconcile, message, delay, cancellationToken);
    }

    public static Task SendAsync(IQueueSender queue, ReconcileMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.SendAsync(QueueNames.Reconcile, message, cancellationToken);
    }
}

/// <summary>
/// Sweep one account and region: compare every group with its approved state. <paramref name="ReportOnly"/>: the
/// operator's <c>reconcile --enqueue --report-only</c> — every difference is reported at once, nothing in AWS changes;
/// otherwise it is the timer's sweep (differences get a settle check later, or are acted on at once with no settle delay).
/// </summary>
public sealed record SweepRegion(string AccountId, string Region, bool ReportOnly) : ReconcileMessage(AccountId, Region);

/// <summary>Onboard one account and region (<c>baseline --enqueue</c>): record each group's rules as approved; <paramref name="Force"/> records them again.</summary>
public sealed record BaselineRegion(string AccountId, string Region, bool Force) : ReconcileMessage(AccountId, Region);

/// <summary>
/// The settle check of one group: act on those of the differences <paramref name="Differences"/> (their keys) that are
/// still there, after the settle delay gave their events time to arrive.
/// </summary>
public sealed record SettleGroup(string AccountId, string Region, string GroupId, IReadOnlyList<string> Differences) : ReconcileMessage(AccountId, Region);
