using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Processing;

/// <summary>The poison queues the host fills after maxDequeueCount failed tries; constants for the poison readers' triggers.</summary>
public static class PoisonQueueNames
{
    public const string Changes = QueueNames.Changes + "-poison";

    public const string Effects = QueueNames.Effects + "-poison";

    public const string Reconcile = QueueNames.Reconcile + "-poison";
}

public enum PoisonOutcome
{
    /// <summary>The request now says it failed; Slack hears of it through the request's render effect.</summary>
    Recorded,
    /// <summary>The request had already ended (the worker's last try recorded it, or the work was done after all).</summary>
    AlreadyRecorded,
    /// <summary>No request to change: the monitoring channel was told directly.</summary>
    Told,
    /// <summary>The message could not be read: logged Critical (size only) and counted; monitoring told if Slack answers.</summary>
    Malformed,
    /// <summary>Storage still failed on the poison queue's last try: logged Critical, counted, monitoring told if Slack answers.</summary>
    Unrecorded,
    /// <summary>A change met Table Storage unreachable on the last try: put back on the changes queue (delayed) to be recorded once storage answers.</summary>
    Redriven,
}

/// <summary>
/// Reads the poison queues, so that a message the workers gave up on is seen: a change's request is marked RevertFailed
/// (opened from the change if the worker never stored it); an effects or reconcile message changes no request (effects
/// stay pending for the catch-up), so the monitoring channel is told directly. Every message counts
/// <c>sgbridge.failures{kind=poison, queue}</c>. A message that exhausts this trigger's tries goes to a "-poison-poison"
/// queue no one reads, so this handler throws only to retry a transient failure while tries remain; otherwise it logs
/// Critical (the size, never the body), counts, and tells monitoring when Slack answers.
/// </summary>
public sealed partial class PoisonService(
    RequestLifecycle lifecycle,
    ISlackClient slack,
    IOptions<SlackOptions> slackOptions,
    IOptions<ProcessingOptions> processingOptions,
    TimeProvider time,
    ILogger<PoisonService> logger,
    BridgeTelemetry telemetry,
    IQueueSender queue)
{
    private readonly string _monitoring = slackOptions.Value.MonitoringChannel;
    private readonly int _maxDequeueCount = processingOptions.Value.MaxDequeueCount;
    private readonly TimeSpan _redriveDelay = processingOptions.Value.PoisonRedriveDelay;
    private readonly TimeSpan _redriveWindow = processingOptions.Value.PoisonRedriveWindow;

    /// <param name="queue">The main queue the message was poisoned from (e.g. <see cref="QueueNames.Changes"/>).</param>
    public async Task<PoisonOutcome> HandleAsync(string queue, string messageId, string? messageText, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        var size = messageText is null ? 0 : Encoding.UTF8.GetByteCount(messageText);
        object message;
        try
        {
            message = Decode(queue, messageText);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException or ArgumentException or InvalidDataException or InvalidOperationException)
        {
            LogMalformed(logger, ex.GetType().Name, queue, messageId, size);
            Count("poison", queue);
            await TellAsync(queue, $":rotating_light: SgBridge: an unreadable message ({size} bytes, id {messageId}) reached {QueueNames.Poison(queue)}. " +
                "Nothing was recorded for it; see the Critical log entry.", cancellationToken);
            return PoisonOutcome.Malformed;
        }

        try
        {
            var outcome = PoisonOutcome.Told;
            if (message is SecurityGroupChange change)
            {
                outcome = await ChangeAsync(change, dequeueCount, cancellationToken);
            }
            else
            {
                LogTold(logger, queue, messageId, Describe(message));
                await TellAsync(queue, $":rotating_light: SgBridge gave up on {Describe(message)} after {_maxDequeueCount} tries: the message is in " +
                    $"{QueueNames.Poison(queue)} (id {messageId}). Fix the cause, then run `sgbridge redrive --queue {queue}`.", cancellationToken);
            }
            Count("poison", queue);
            return outcome;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (dequeueCount < _maxDequeueCount)
            {
                // Storage (most likely) is still down: let the poison queue retry while it can.
                LogRetrying(logger, ex, queue, messageId, dequeueCount);
                throw;
            }
            var storage = ex is StorageUnavailableException;
            Count("poison", queue);
            if (storage)
            {
                Count("storage", queue);
            }
            if (storage && message is SecurityGroupChange change && await RedriveAsync(change, ex, messageId, cancellationToken))
            {
                return PoisonOutcome.Redriven;
            }
            LogUnrecorded(logger, ex, queue, messageId, Describe(message), dequeueCount);
            await TellAsync(queue, $":rotating_light: SgBridge gave up on {Describe(message)} and could not record it ({ex.GetType().Name}): " +
                $"the message (id {messageId}) was dropped from {QueueNames.Poison(queue)}. Check the group by hand; the event is in the Critical log entry.", cancellationToken);
            return PoisonOutcome.Unrecorded;
        }
    }

    /// <summary>
    /// Table Storage still unreachable on the last try: rather than drop the change (its rule may be revoked, its request
    /// unwritten), put it back on the changes queue after <see cref="ProcessingOptions.PoisonRedriveDelay"/> while the event
    /// is younger than <see cref="ProcessingOptions.PoisonRedriveWindow"/>. False: not re-driven (too old, or the queue refused).
    /// </summary>
    private async Task<bool> RedriveAsync(SecurityGroupChange change, Exception storageError, string messageId, CancellationToken ct)
    {
        var age = time.GetUtcNow() - change.EventTime;
        if (age > _redriveWindow)
        {
            return false;
        }
        try
        {
            await queue.SendAsync(QueueNames.Changes, change with { PoisonRedrives = change.PoisonRedrives + 1 }, _redriveDelay, ct);
        }
        catch (Exception sendError) when (sendError is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogRedriveFailed(logger, sendError, change.EventId, messageId);
            return false;
        }
        LogRedriven(logger, storageError, change.EventId, change.AccountId, change.GroupLabel, change.PoisonRedrives + 1, _redriveDelay);
        if (change.PoisonRedrives == 0)
        {
            var state = change.Fallback is { Outcome.Succeeded: true }
                ? "Its added rule was revoked by rule id; the request is written (Reverted, approvers asked) once storage answers."
                : "It is not recorded yet; it is processed once storage answers.";
            await TellAsync(QueueNames.Changes, $":warning: SgBridge: Table Storage is unreachable, so {Describe(change)} could not be recorded after every try. " +
                $"{state} It is re-driven every {_redriveDelay.TotalMinutes:0.#} min until {ApprovalMessageBuilder.When(change.EventTime + _redriveWindow)}.", ct);
        }
        return true;
    }

    private static object Decode(string queue, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("The message is empty.");
        }
        object message = queue switch
        {
            QueueNames.Changes => QueuePayload.Decode<SecurityGroupChange>(text),
            QueueNames.Effects => QueuePayload.Decode<EffectsMessage>(text),
            QueueNames.Reconcile => QueuePayload.Decode<ReconcileMessage>(text),
            _ => throw new ArgumentException($"Unknown queue {queue}.", nameof(queue)),
        };
        // Required members can still be null in hand-made JSON: refuse what the handlers below would trip on.
        var valid = message switch
        {
            SecurityGroupChange c => !string.IsNullOrWhiteSpace(c.EventId) && !string.IsNullOrWhiteSpace(c.AccountId) && c.Requester is not null,
            NudgeEffects p => RequestId.IsWellFormed(p.RequestId),
            NudgeMany m => m.Nudges is { Count: > 0 } nudges && nudges.All(p => p is not null && RequestId.IsWellFormed(p.RequestId)),
            RedriveEffects c => RequestId.IsWellFormed(c.RequestId),
            RenderBatch r => RequestId.IsWellFormed(r.LeadId) && !string.IsNullOrWhiteSpace(r.Home),
            ReconcileMessage r => !string.IsNullOrWhiteSpace(r.AccountId) && !string.IsNullOrWhiteSpace(r.Region) && (r is not SettleGroup g || !string.IsNullOrWhiteSpace(g.GroupId)),
            _ => false,
        };
        return valid ? message : throw new FormatException($"The message is not a valid {message.GetType().Name}.");
    }

    private async Task<PoisonOutcome> ChangeAsync(SecurityGroupChange change, long dequeueCount, CancellationToken ct)
    {
        // The worker may never have stored the request (storage was down on every try): open it from the change as
        // received — the same id the worker would have used — so the failure is on a request people can see.
        var (stored, created) = await ChangeProcessor.OpenRequestAsync(lifecycle, change, time.GetUtcNow(), ct);
        var why = created
            ? $"Never processed: the change went to {PoisonQueueNames.Changes} after {_maxDequeueCount} tries without being stored or reverted."
            : $"Gave up: the change went to {PoisonQueueNames.Changes} after {_maxDequeueCount} tries; the last error is in the worker's log.";
        var update = await lifecycle.ChangeAsync(stored, r =>
        {
            if (r.Status != RequestStatus.Reverting)
            {
                return false;
            }
            r.MarkRevertFailed(new CallOutcome("none", false, "Poison", why), time.GetUtcNow());
            return true;
        }, ct);
        LogChange(logger, update.Request.Id, change.EventId, change.AccountId, change.GroupLabel, update.Request.Status, dequeueCount);
        return update.Written ? PoisonOutcome.Recorded : PoisonOutcome.AlreadyRecorded;
    }

    private static string Describe(object message) => message switch
    {
        SecurityGroupChange c => $"the change of event {SlackText.Escape(c.EventId)} on {SlackText.Escape(c.GroupLabel)} in {SlackText.Escape(c.AccountId)}/{SlackText.Escape(c.Region)}",
        NudgeEffects p => $"the effects of request {p.RequestId} (they stay pending on it: the effects catch-up retries them)",
        NudgeMany m => $"the effects of requests {string.Join(", ", m.Nudges.Select(p => p.RequestId))} (they stay pending on them: the effects catch-up retries them)",
        RedriveEffects c => $"the overdue effects of request {c.RequestId} (they stay pending on it: the effects catch-up retries them)",
        RenderBatch r => $"the debounced Slack update of the batch led by {r.LeadId}",
        SettleGroup r => $"the reconcile of {SlackText.Escape(r.GroupId)} in {SlackText.Escape(r.AccountId)}/{SlackText.Escape(r.Region)}",
        ReconcileMessage r => $"the sweep of {SlackText.Escape(r.AccountId)}/{SlackText.Escape(r.Region)}",
        _ => "a message",
    };

    private async Task TellAsync(string queue, string text, CancellationToken ct)
    {
        try
        {
            await slack.PostMessageAsync(_monitoring, text, null, null, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Slack itself may be what failed (effects-poison): the log and the counter are what is left.
            LogSlackFailed(logger, ex, queue);
            Count("monitoring", queue);
        }
    }

    private void Count(string kind, string queue) =>
        telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("queue", queue));

    [LoggerMessage(901, LogLevel.Critical, "Poison: unreadable message {MessageId} ({Size} bytes) from {Queue}: {Error}. Nothing was recorded for it.")]
    private static partial void LogMalformed(ILogger logger, string error, string queue, string messageId, int size);

    [LoggerMessage(902, LogLevel.Error, "Poison: {Queue} message {MessageId} ({What}) has no request: monitoring told directly")]
    private static partial void LogTold(ILogger logger, string queue, string messageId, string what);

    [LoggerMessage(903, LogLevel.Warning, "Poison: handling {Queue} message {MessageId} failed on try {DequeueCount}; retrying")]
    private static partial void LogRetrying(ILogger logger, Exception exception, string queue, string messageId, long dequeueCount);

    [LoggerMessage(904, LogLevel.Critical, "Poison: {Queue} message {MessageId} ({What}) could not be recorded after {DequeueCount} tries; it is dropped. Check by hand.")]
    private static partial void LogUnrecorded(ILogger logger, Exception exception, string queue, string messageId, string what, long dequeueCount);

    [LoggerMessage(905, LogLevel.Error, "Poison: request {RequestId} for event {EventId} in {AccountId} on {GroupId} is {Status} (poisoned after {DequeueCount} tries on the poison queue)")]
    private static partial void LogChange(ILogger logger, string requestId, string eventId, string accountId, string groupId, RequestStatus status, long dequeueCount);

    [LoggerMessage(908, LogLevel.Critical, "Poison: Table Storage still unreachable for event {EventId} in {AccountId} on {GroupId}: re-driven to the changes queue (re-drive {Redrives}, visible in {Delay})")]
    private static partial void LogRedriven(ILogger logger, Exception exception, string eventId, string accountId, string groupId, int redrives, TimeSpan delay);

    [LoggerMessage(909, LogLevel.Critical, "Poison: could not re-drive event {EventId} (message {MessageId}) to the changes queue")]
    private static partial void LogRedriveFailed(ILogger logger, Exception exception, string eventId, string messageId);

    [LoggerMessage(907, LogLevel.Critical, "Poison: could not tell the monitoring channel about a {Queue} poison message; only this log and the failure counter record it")]
    private static partial void LogSlackFailed(ILogger logger, Exception exception, string queue);
}
