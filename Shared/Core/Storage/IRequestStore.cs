using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>A stored value with the ETag it was read at (for optimistic concurrency).</summary>
public sealed record Stored<T>(T Value, string ETag);

/// <summary>Another writer changed the row since it was read (HTTP 412 on the ETag condition).</summary>
public sealed class ConcurrencyConflictException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>In a transaction of several writes: the index of the write whose condition failed, when the store knows it.</summary>
    public int? FailedWrite { get; init; }
}

/// <summary>Change requests in Azure Table Storage, one row per request id.</summary>
public interface IRequestStore
{
    Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Adds the request; if a row with that id exists, returns it instead (nothing is overwritten).</summary>
    Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken);

    /// <summary>Replaces the row if it still has <paramref name="etag"/>; returns the new ETag. Use
    /// <see cref="RequestUpdates.UpdateAsync(IRequestStore, string, Func{ChangeRequest, bool}, CancellationToken)"/> to change a request.
    /// Throws <see cref="ConcurrencyConflictException"/> when someone else wrote first.</summary>
    Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken cancellationToken);
}

/// <summary>Which requests are Pending, by creation time; kept with each request row in the same write.</summary>
public interface IPendingRequestsIndex
{
    /// <summary>The ids of requests Pending and created at or before <paramref name="createdBy"/>, at most <paramref name="max"/>.</summary>
    IAsyncEnumerable<string> ListPendingCreatedByAsync(DateTimeOffset createdBy, int max, CancellationToken cancellationToken);
}

/// <summary>Which requests have effects pending, and since when; kept with each request row in the same write.</summary>
public interface IEffectsIndex
{
    /// <summary>Requests with effects pending since <paramref name="dueBy"/> or earlier (or postponed to then), at most <paramref
    /// name="max"/>.</summary>
    IAsyncEnumerable<EffectsDue> ListEffectsDueAsync(DateTimeOffset dueBy, int max, CancellationToken cancellationToken);

    /// <summary>Moves an index entry's due time to <paramref name="until"/> (the catch-up re-drove it), if the entry is unchanged since listed. False: it changed.</summary>
    Task<bool> PostponeEffectsAsync(EffectsDue entry, DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>An entry of the effects index: request <paramref name="RequestId"/> has had effects pending since <paramref name="DueSince"/>.</summary>
public sealed record EffectsDue(string RequestId, DateTimeOffset DueSince, string ETag);

/// <summary>Sends JSON messages to the bridge's queues (base64-encoded, as the Functions queue trigger expects).</summary>
public interface IQueueSender
{
    Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken);

    /// <summary>Sends a message that becomes visible only after <paramref name="visibilityDelay"/> (a scheduled retry or a debounce).</summary>
    Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a delayed message that the sender may take back before it is delivered (<see cref="WithdrawAsync"/>): the
    /// intake's fallback copy of an inline revert. Null when this sender cannot withdraw (the copy then stays, and
    /// finds the work done when it is delivered).
    /// </summary>
    async Task<SentMessage?> SendWithdrawableAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken)
    {
        await SendAsync(queueName, message, visibilityDelay, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Deletes a message sent by <see cref="SendWithdrawableAsync"/>; one already gone (received, or withdrawn) is not an error.</summary>
    Task WithdrawAsync(SentMessage sent, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A sent message as the queue identifies it, for <see cref="IQueueSender.WithdrawAsync"/>.</summary>
public sealed record SentMessage(string QueueName, string MessageId, string PopReceipt);
