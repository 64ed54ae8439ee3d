using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Queues the apply of an approved request: the one step between "stored Approved" and "applied" that no row records.
/// A failure — the queue throws, hangs past <see cref="Budget"/>, or took the message but the answer was lost — is
/// counted (<c>sgbridge.failures{kind=apply_enqueue}</c>) and handed back, never thrown: the request is stored Approved
/// already, so the caller tells the person, and whatever comes next queues it again (the modal submitted again, or
/// the <see cref="ApplyCatchUpService"/> timer). Queueing twice is harmless:
/// <see cref="ApplyService"/> writes the request into the approved state once, and a second apply finds it Applied.
/// </summary>
public static class ApplyEnqueue
{
    /// <summary>The <c>kind</c> tag of <c>sgbridge.failures</c> for an apply that could not be queued.</summary>
    public const string FailureKind = "apply_enqueue";

    /// <summary>
    /// How long the queueing may take on a path Slack waits for (3 seconds for a click or a modal, the rest of which
    /// goes to Table writes and look-ups). A send still running after it may yet land: that is the lost-answer case.
    /// </summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    /// <summary>Queues <see cref="ApplyCommand"/> for <paramref name="requestId"/>. Null: queued; else why not (counted).</summary>
    public static Task<Exception?> TryAsync(IQueueSender queue, string requestId, string path, BridgeTelemetry? telemetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return GuardAsync(ct => queue.SendAsync(QueueNames.Applies, new ApplyCommand(requestId), ct), path, telemetry, cancellationToken);
    }

    /// <summary>Runs <paramref name="send"/> (something that queues an apply) within <see cref="Budget"/>. Null: done; else why not (counted).</summary>
    public static Task<Exception?> GuardAsync(Func<CancellationToken, Task> send, string path, BridgeTelemetry? telemetry, CancellationToken cancellationToken) =>
        GuardAsync(send, FailureKind, path, telemetry, cancellationToken);

    /// <summary>As <see cref="GuardAsync(Func{CancellationToken, Task}, string, BridgeTelemetry?, CancellationToken)"/>, counted under <paramref name="kind"/>.</summary>
    public static async Task<Exception?> GuardAsync(Func<CancellationToken, Task> send, string kind, string path, BridgeTelemetry? telemetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Budget);
        try
        {
            // WaitAsync too: a sender that ignores its token must not hold the caller past the budget.
            await send(limit.Token).WaitAsync(limit.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            telemetry?.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, kind), new KeyValuePair<string, object?>("path", path));
            return ex is OperationCanceledException ? new TimeoutException($"Queueing the apply took longer than {Budget.TotalSeconds:0.#} s.", ex) : ex;
        }
    }
}
