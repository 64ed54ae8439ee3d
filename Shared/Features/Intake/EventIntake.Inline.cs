using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;

namespace SgBridge.Shared.Intake;

/// <summary>
/// Revert in the intake, queue as the fallback. Run inline, the queue's send, receive and delete and the queue
/// trigger's polling interval leave the event's path: event→reverted is the AWS calls plus three or four table and
/// queue operations. The work is the queue worker's own (<see cref="ChangeProcessor"/>), so the request, the
/// idempotency on the event id and the failure handling are the same; what changes is who waits:
/// <list type="bullet">
/// <item>done within <see cref="Options.IntakeOptions.InlineBudget"/> → 202 with the outcome; nothing is queued.</item>
/// <item>still running at the budget → a copy of the change is queued, visible only after <see cref="InlineFallbackDelay"/>.
/// The inline work is not cancelled (an EC2 write must not be abandoned half-way): if it finishes before the attempt's
/// deadline (budget + <see cref="Options.IntakeOptions.EnqueueTimeout"/>), the copy is withdrawn and the answer is 202
/// with the outcome; otherwise 202 "queued", and the copy, once visible, finds nothing to undo and the request already
/// stored (AlreadyProcessed). If the inline work dies, the copy does the work.</item>
/// <item>a failure (throttling, storage, anything thrown) → the change is queued at once, and 202: the queue worker
/// retries it and poisons it visibly as before.</item>
/// <item>the queue cannot take it → 503, and EventBridge delivers the event again.</item>
/// </list>
/// A duplicate delivery runs again and converges (nothing left to undo; the request's insert finds the row).
/// </summary>
public sealed partial class EventIntake
{
    /// <summary>
    /// How long a change queued because the inline revert ran past its budget stays invisible: long enough for the
    /// inline work (a few AWS and table calls, each with its own timeouts) to finish first in every normal case.
    /// </summary>
    public static readonly TimeSpan InlineFallbackDelay = TimeSpan.FromSeconds(30);

    /// <summary>Done: the answer. Otherwise queue the change, counting the acceptance as <c>Reason</c>; <c>Running</c> is the
    /// inline work still under way past its budget (its copy is queued, and withdrawn if it finishes before the deadline).</summary>
    private async Task<(IntakeResult? Done, Task<ProcessOutcome>? Running, string Reason)> TryRevertInlineAsync(SecurityGroupChange change, CancellationToken cancellationToken)
    {
        if (!_revertInline)
        {
            return (null, null, "queued");
        }
        // Its own token: EventBridge's answer, or the HTTP request ending, must not cancel the work half-way.
        var work = Task.Run(() => processor.ProcessAsync(change, dequeueCount: 1, CancellationToken.None), CancellationToken.None);
        ProcessOutcome outcome;
        try
        {
            outcome = await work.WaitAsync(_inlineBudget, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Observe(work);
            LogInlineOverBudget(logger, change.EventId, change.AccountId, change.GroupLabel, _inlineBudget.TotalMilliseconds);
            return (null, work, "queued_after_budget");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogInlineFailed(logger, ex, change.EventId, change.AccountId, change.GroupLabel);
            return (null, null, "queued_after_failure");
        }
        return (Processed(change, outcome), null, "");
    }

    private IntakeResult Processed(SecurityGroupChange change, ProcessOutcome outcome, string more = "")
    {
        Count("accepted", "inline_" + outcome.ToString().ToLowerInvariant(), 202);
        return new IntakeResult(202, "Processed", $"{change.EventName} on {change.GroupLabel}: {outcome}.{more}", RequestId.For(change.EventId), change.EventId) { Outcome = outcome };
    }

    /// <summary>The outcome of inline work still running past its budget if it finishes before <paramref name="deadline"/>; null if it does not, or fails.</summary>
    private static async Task<ProcessOutcome?> FinishedAsync(Task<ProcessOutcome> running, CancellationToken deadline)
    {
        try
        {
            return await running.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || deadline.IsCancellationRequested)
        {
            return null; // still running at the deadline, or failed: the queued copy does the work
        }
    }

    [LoggerMessage(110, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: the inline revert ran past its {BudgetMs} ms budget; queued as the fallback (it keeps running)")]
    private static partial void LogInlineOverBudget(ILogger logger, string eventId, string accountId, string groupId, double budgetMs);

    [LoggerMessage(111, LogLevel.Warning, "Event {EventId} in {AccountId} on {GroupId}: the inline revert failed; queued for the worker to retry")]
    private static partial void LogInlineFailed(ILogger logger, Exception exception, string eventId, string accountId, string groupId);
}
