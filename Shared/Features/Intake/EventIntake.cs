using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Intake;

/// <summary>What intake answers EventBridge: a status code and a problem+json-ready title and detail.</summary>
public sealed record IntakeResult(int StatusCode, string Title, string Detail, string? RequestId = null, string? EventId = null, TimeSpan? RetryAfter = null)
{
    public bool IsProblem => StatusCode >= 400;

    /// <summary>For a 400: the field at fault, a JSON path such as <c>detail.eventID</c> (or <c>(body)</c>/<c>(root)</c> for the whole body), quoted in <see cref="Detail"/>.</summary>
    public string? Field { get; init; }

    /// <summary>Set when the change was processed in the intake (Intake:RevertInline): what the processor did.</summary>
    public ProcessOutcome? Outcome { get; init; }
}

/// <summary>
/// The HTTP intake's whole job: validate one EventBridge event, revert it inline within a budget (see
/// <see cref="IntakeOptions.RevertInline"/>) or enqueue it, answer within EventBridge's 5 seconds. 4xx only for input
/// that is permanently bad (EventBridge does not retry it); 503 when the bridge cannot accept the event now (EventBridge
/// retries 5xx for up to 24 hours). Every event ends processed, queued or in an explicit, logged rejection.
/// </summary>
public sealed partial class EventIntake(
    ChangePolicy policy,
    IQueueSender queue,
    IOptions<PolicyOptions> policyOptions,
    IOptions<IntakeOptions> intakeOptions,
    TimeProvider timeProvider,
    ILogger<EventIntake> logger,
    BridgeTelemetry telemetry,
    ChangeProcessor processor,
    Heartbeat heartbeat)
{
    /// <summary>What a 503 asks EventBridge to wait before it retries.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly bool _policeEgress = policyOptions.Value.PoliceEgress;
    private readonly TimeSpan _enqueueTimeout = intakeOptions.Value.EnqueueTimeout;
    private readonly bool _revertInline = intakeOptions.Value.RevertInline;
    private readonly TimeSpan _inlineBudget = intakeOptions.Value.InlineBudget;

    /// <summary>EventBridge events are at most 256 KB.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public async Task<IntakeResult> AcceptAsync(ReadOnlyMemory<byte> body, string? contentType, CancellationToken cancellationToken)
    {
        if (body.Length > MaxBodyBytes)
        {
            Count("refused", "too_large", 413);
            return Reject(413, "Event too large", $"The body is {body.Length} bytes; an EventBridge event is at most {MaxBodyBytes} bytes.");
        }
        if (!string.IsNullOrEmpty(contentType) && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            Count("refused", "media_type", 415);
            return Reject(415, "Unsupported media type", $"Expected application/json, got '{contentType}'.");
        }
        if (body.IsEmpty)
        {
            Count("refused", "empty", 400);
            return Reject(400, "Empty body", $"Field '{CloudTrailParser.BodyField}' is empty: expected one EventBridge event (JSON) in the request body.") with { Field = CloudTrailParser.BodyField };
        }

        // The pre-AWS decision is IntakeDecision's, shared with `sgbridge plan`; here it is logged, counted and answered.
        var decision = IntakeDecision.Decide(body.Span, policy, _policeEgress);
        var change = decision.Change;
        switch (decision.Verdict)
        {
            case IntakeVerdict.Rejected when Heartbeat.IsHeartbeat(body.Span, out var beatId, out var sentAt, out var beatAccount, out var rule):
                // Not a change: the central bus's heartbeat through the real delivery path (recorded, no request).
                return await heartbeat.RecordAsync(beatId, sentAt, beatAccount, rule, cancellationToken).ConfigureAwait(false);
            case IntakeVerdict.FailedCall:
                // The API call failed in AWS, so it changed nothing: acknowledge (no retry), record the skip.
                LogSkippedFailedCall(logger, decision.EventId, decision.Rejection?.EventName, decision.Detail);
                break;
            case IntakeVerdict.Rejected:
                LogRejected(logger, decision.Reason!, decision.Detail);
                break;
            case IntakeVerdict.AccountNotAllowed:
                LogForbiddenAccount(logger, change!.AccountId, change.EventId);
                break;
            case IntakeVerdict.EgressNotPoliced:
                // Outbound rules are policed only on request; acknowledge so EventBridge does not retry, and leave a trace.
                LogEgressNotPoliced(logger, change!.EventId, change.EventName, change.AccountId, change.Region, change.GroupLabel);
                break;
            case IntakeVerdict.BridgeOwn:
                // Loop prevention: the bridge's own reverts and applies come back through CloudTrail.
                LogIgnoredOwn(logger, change!.EventId, change.AccountId, change.GroupLabel);
                break;
        }
        if (!decision.Proceeds || change is null)
        {
            Count(decision.StatusCode >= 400 ? "refused" : "skipped", decision.Reason!, decision.StatusCode);
            return new IntakeResult(decision.StatusCode, decision.Title, decision.Detail, EventId: decision.EventId) { Field = decision.StatusCode == 400 ? decision.Rejection?.Field : null };
        }

        var started = timeProvider.GetTimestamp();
        var (done, running, why) = await TryRevertInlineAsync(change, cancellationToken).ConfigureAwait(false);
        if (done is not null)
        {
            return done;
        }

        // One deadline for the attempt (inline budget + enqueue timeout): the enqueue gets whatever the inline run left,
        // retries included, so the answer beats EventBridge's 5 s whatever the queue client does. Its token is cancelled
        // at the deadline, and the wait stops then even if the client ignores the token.
        var sendBudget = SendBudget(timeProvider.GetElapsedTime(started));
        using var deadline = new CancellationTokenSource(sendBudget, timeProvider);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        Task? send = null;
        SentMessage? copy = null;
        (IntakeResult Answer, string Reason)? unavailable = null;
        try
        {
            if (running is not null)
            {
                // A copy for the inline work still running: withdrawn if that work finishes before the deadline.
                var sending = queue.SendWithdrawableAsync(QueueNames.Changes, change with { InlineAttempted = true }, InlineFallbackDelay, budget.Token);
                send = sending;
                copy = await sending.WaitAsync(budget.Token).ConfigureAwait(false);
            }
            else
            {
                send = queue.SendAsync(QueueNames.Changes, change, budget.Token);
                await send.WaitAsync(budget.Token).ConfigureAwait(false);
            }
        }
        catch (QueueMessageTooLargeException ex)
        {
            LogTooLargeToQueue(logger, change.EventId, change.AccountId, change.GroupLabel, ex.Message);
            Count("refused", "too_large_to_queue", 413);
            return new IntakeResult(413, "Change too large", $"Event {change.EventId} changes {change.Rules.Count + change.RuleIds.Count + change.Modifications.Count} rules, more than one queue message holds. {ex.Message}", EventId: change.EventId);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && send is { IsCompletedSuccessfully: true })
        {
            // The send landed as the deadline fired (its answer and our timer raced): it is queued, so the answer is 202.
            copy = send is Task<SentMessage?> landed ? await landed.ConfigureAwait(false) : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our budget ran out (the host's own cancellation propagates) with the send's outcome unknown: no answer came,
            // so the bridge cannot say it is queued. 503 is the safe answer: if the send lands after all, EventBridge's
            // retry delivers the event twice, which the request id (from the event id) makes harmless.
            Observe(send);
            LogQueueTimeout(logger, change.EventId, change.AccountId, sendBudget.TotalMilliseconds);
            unavailable = (new IntakeResult(503, "Queue unavailable", string.Create(CultureInfo.InvariantCulture, $"The bridge could not queue the event within {sendBudget.TotalSeconds:0.##} s; EventBridge will retry."), EventId: change.EventId, RetryAfter: RetryAfter), "queue_timeout");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogQueueUnavailable(logger, ex, change.EventId, change.AccountId);
            unavailable = (new IntakeResult(503, "Queue unavailable", "The bridge cannot queue the event right now; EventBridge will retry.", EventId: change.EventId, RetryAfter: RetryAfter), "queue_error");
        }

        // The inline work that ran past its budget may still finish before the deadline: then the change is done, and
        // that is the answer, whatever became of the copy (withdrawn here; one left behind finds the work done).
        if (running is not null && await FinishedAsync(running, budget.Token).ConfigureAwait(false) is { } late)
        {
            // No receipt: the send failed or its answer never came, so whether a copy landed is unknown.
            var fate = copy is null ? "not confirmed (one that landed will find the work done)"
                : await WithdrawAsync(copy, budget.Token).ConfigureAwait(false) ? "withdrawn" : "kept (it will find the work done)";
            return Processed(change, late, $" Done past the inline budget; its fallback copy: {fate}.");
        }
        if (unavailable is { } refused)
        {
            Count("unavailable", refused.Reason, 503);
            return refused.Answer;
        }

        var requestId = RequestId.For(change.EventId);
        LogAccepted(logger, change.EventId, requestId, change.AccountId, change.Region, change.GroupLabel, change.EventName);
        Count("accepted", why, 202);
        return new IntakeResult(202, "Accepted", $"{change.EventName} on {change.GroupLabel} queued.", requestId, change.EventId);
    }

    /// <summary>Takes back the fallback copy of inline work that finished; a copy that cannot be taken back in time stays, harmless.</summary>
    private async Task<bool> WithdrawAsync(SentMessage copy, CancellationToken deadline)
    {
        try
        {
            await queue.WithdrawAsync(copy, deadline).WaitAsync(deadline).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || deadline.IsCancellationRequested)
        {
            LogCopyKept(logger, copy.MessageId, ex.Message);
            return false;
        }
    }

    [LoggerMessage(112, LogLevel.Debug, "The fallback copy {MessageId} of an inline revert that finished was not withdrawn ({Reason}); it will find the work done")]
    private static partial void LogCopyKept(ILogger logger, string messageId, string reason);

    /// <summary>The least time a send is given, however long the inline run was held up (a starved thread pool).</summary>
    private static readonly TimeSpan MinSendBudget = TimeSpan.FromMilliseconds(500);

    /// <summary>What is left of the attempt's deadline for the enqueue, <paramref name="spent"/> after the inline run began.</summary>
    private TimeSpan SendBudget(TimeSpan spent)
    {
        var attempt = (_revertInline ? _inlineBudget : TimeSpan.Zero) + _enqueueTimeout;
        var left = attempt - spent;
        return left > MinSendBudget ? left : MinSendBudget;
    }

    /// <summary>A send abandoned at the deadline may still fail later: observe it, so its exception is not left unobserved.</summary>
    private static void Observe(Task? send) =>
        send?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>One event received, by outcome (accepted, refused, skipped, unavailable), reason and HTTP status; an
    /// event the queue could not take also counts as a storage failure.</summary>
    private void Count(string outcome, string reason, int status)
    {
        telemetry.Events.Add(1, new(TelemetryTags.Outcome, outcome), new(TelemetryTags.Reason, reason), new(TelemetryTags.Status, status));
        if (outcome == "unavailable")
        {
            telemetry.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "storage"));
        }
    }

    private IntakeResult Reject(int status, string title, string detail)
    {
        LogRejected(logger, title, detail);
        return new IntakeResult(status, title, detail);
    }

    [LoggerMessage(101, LogLevel.Information, "Accepted event {EventId} as request {ApprovalId}: {EventName} on {GroupId} in {AccountId}/{Region}")]
    private static partial void LogAccepted(ILogger logger, string eventId, string approvalId, string accountId, string region, string groupId, string eventName);

    [LoggerMessage(102, LogLevel.Warning, "Rejected event ({Reason}): {Detail}")]
    private static partial void LogRejected(ILogger logger, string reason, string detail);

    [LoggerMessage(103, LogLevel.Warning, "Rejected event {EventId} from account {AccountId}: not in Policy:AllowedAccounts")]
    private static partial void LogForbiddenAccount(ILogger logger, string accountId, string eventId);

    [LoggerMessage(104, LogLevel.Information, "Skipped event {EventId} ({EventName}): the call failed in AWS and changed nothing ({Detail})")]
    private static partial void LogSkippedFailedCall(ILogger logger, string? eventId, string? eventName, string detail);

    [LoggerMessage(105, LogLevel.Debug, "Ignored event {EventId} in {AccountId} on {GroupId}: the bridge's own change")]
    private static partial void LogIgnoredOwn(ILogger logger, string eventId, string accountId, string groupId);

    [LoggerMessage(106, LogLevel.Error, "Could not queue event {EventId} from {AccountId}; answering 503 so EventBridge retries")]
    private static partial void LogQueueUnavailable(ILogger logger, Exception exception, string eventId, string accountId);

    [LoggerMessage(108, LogLevel.Information, "Not policing event {EventId} ({EventName}) on {GroupId} in {AccountId}/{Region}: egress changes are not policed (Policy:PoliceEgress is false)")]
    private static partial void LogEgressNotPoliced(ILogger logger, string eventId, string eventName, string accountId, string region, string groupId);

    [LoggerMessage(109, LogLevel.Error, "Could not queue event {EventId} from {AccountId} within {BudgetMs} ms; answering 503 so EventBridge retries")]
    private static partial void LogQueueTimeout(ILogger logger, string eventId, string accountId, double budgetMs);

    [LoggerMessage(107, LogLevel.Error, "Rejected event {EventId} in {AccountId} on {GroupId}: too large to queue ({Detail}). Revert it by hand.")]
    private static partial void LogTooLargeToQueue(ILogger logger, string eventId, string accountId, string groupId, string detail);
}
