using System.Text.Json.Serialization;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>A message on the reconcile queue, one record per kind with one handler; send it as the base type so the kind is
/// written.</summary>
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
/// Sweep one account and region. <paramref name="ReportOnly"/> (<c>reconcile --enqueue --report-only</c>): report
/// every difference, change nothing in AWS; otherwise the timer's sweep.
/// </summary>
public sealed record SweepRegion(string AccountId, string Region, bool ReportOnly) : ReconcileMessage(AccountId, Region);

/// <summary>Onboard one account and region (<c>baseline --enqueue</c>): record each group's rules as approved; <paramref name="Force"/> records them again.</summary>
public sealed record BaselineRegion(string AccountId, string Region, bool Force) : ReconcileMessage(AccountId, Region);

/// <summary>The settle check of one group: act on the <paramref name="Differences"/> (by key) still there after the settle delay.</summary>
public sealed record SettleGroup(string AccountId, string Region, string GroupId, IReadOnlyList<string> Differences) : ReconcileMessage(AccountId, Region);
