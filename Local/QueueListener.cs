using System.Collections.Concurrent;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;

namespace SgBridge.Local;

/// <summary>
/// The Functions host's queue trigger (Azure.WebJobs.Extensions.Storage.Queues' QueueListener) for one queue, as
/// host.json sets it: it receives <c>batchSize</c> messages and runs them concurrently, and receives the next batch once
/// no more than <c>newBatchThreshold</c> are still running. A receive that finds messages is followed at once by the
/// next; an empty one backs off exponentially (randomised ±20 %) from 100 ms up to <c>maxPollingInterval</c>. Success
/// deletes the message; a failure makes it visible again after <c>visibilityTimeout</c>, and a failure on try
/// <c>maxDequeueCount</c> copies it to "&lt;queue&gt;-poison" and deletes it. A message that is not valid base64 (with
/// base64 encoding on) goes to the poison queue untried, as the extension's decoding-failure handler does.
/// Not modelled: visibility renewal (messages are received for 10 minutes, twice host.json's functionTimeout) and the
/// host's scale-out to more instances.
/// </summary>
internal sealed class QueueListener
{
    /// <summary>The host receives messages for 10 minutes and renews the lease while the function runs.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private readonly FunctionDescriptor _function;
    private readonly HostSettings _host;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly LocalCounters _counters;
    private int _inFlight;

    public QueueListener(string connectionString, FunctionDescriptor function, HostSettings host, IServiceProvider services, ILogger logger, LocalCounters counters,
        Action<Azure.Core.ClientOptions>? configureClients = null)
    {
        _function = function;
        _host = host;
        _services = services;
        _logger = logger;
        _counters = counters;
        var options = new QueueClientOptions { MessageEncoding = host.Base64Messages ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None };
        options.MessageDecodingFailed += OnDecodingFailedAsync;
        configureClients?.Invoke(options);
        _queue = new QueueClient(connectionString, function.QueueName, options);
        // The poison queue gets the message as it was (already encoded); no second encoding.
        var poisonOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        configureClients?.Invoke(poisonOptions);
        _poison = new QueueClient(connectionString, PoisonName(function.QueueName!), poisonOptions);
    }

    public static string PoisonName(string queue) => queue + "-poison";

    public string QueueName => _queue.Name;

    public int InFlight => Volatile.Read(ref _inFlight);

    private TaskCompletionSource? _held;

    /// <summary>Stops receiving (messages in flight finish) until <see cref="Resume"/>: the messages wait in the queue.</summary>
    public void Hold() => Interlocked.CompareExchange(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public void Resume() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken) =>
        InFlight == 0 && (await _queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount == 0;

    /// <summary>The queue and its poison queue exist once the host has started (as the host creates them at listener start).</summary>
    public async Task CreateQueuesAsync(CancellationToken cancellationToken)
    {
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var delay = TimeSpan.Zero;
        var running = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            if (Volatile.Read(ref _held) is { } held)
            {
                try
                {
                    await held.Task.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > _host.NewBatchThreshold)
            {
                await Task.WhenAny(running).ConfigureAwait(false);
                continue;
            }
            QueueMessage[] messages;
            try
            {
                messages = (await _queue.ReceiveMessagesAsync(_host.BatchSize, Lease, stop).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or IOException)
            {
                LocalLog.ReceiveFailed(_logger, _queue.Name, ex.Message);
                messages = [];
            }
            if (messages.Length == 0)
            {
                delay = delay == TimeSpan.Zero
                    ? HostSettings.MinPollingInterval
                    : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _host.MaxPollingInterval.Ticks));
                try
                {
                    await Task.Delay(delay * (0.8 + (0.4 * Random.Shared.NextDouble())), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            delay = TimeSpan.Zero;
            foreach (var message in messages)
            {
                Interlocked.Increment(ref _inFlight);
                running.Add(Task.Run(() => RunOneAsync(message, stop), CancellationToken.None));
            }
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>
    /// One receive of <see cref="RunAsync"/>'s loop, run to the end: up to <c>batchSize</c> messages, handled
    /// concurrently, each exactly as the loop handles it (delete, release for <c>visibilityTimeout</c>, or poison).
    /// </summary>
    public async Task<IReadOnlyList<Outcome>> RunBatchAsync(CancellationToken cancellationToken)
    {
        var messages = (await _queue.ReceiveMessagesAsync(_host.BatchSize, Lease, cancellationToken).ConfigureAwait(false)).Value;
        return await Task.WhenAll(messages.Select(message =>
        {
            Interlocked.Increment(ref _inFlight);
            return Task.Run(() => RunOneAsync(message, cancellationToken), CancellationToken.None);
        })).ConfigureAwait(false);
    }

    /// <summary>What became of one message: handled (deleted), failed (to be tried again), or moved to the poison queue.</summary>
    public enum Outcome
    {
        Handled,
        Failed,
        Poisoned,
    }

    private async Task<Outcome> RunOneAsync(QueueMessage message, CancellationToken stop)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(_host.FunctionTimeout);
            await _function.InvokeAsync(_services, null, message, null, timeout.Token).ConfigureAwait(false);
            try
            {
                await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
                // A delete retried after a client timeout finds the message gone: it was handled.
            }
            _counters.Handled(_function.Name);
            return Outcome.Handled;
        }
        catch (Exception ex)
        {
            _counters.Failed(_function.Name);
            LocalLog.FunctionFailed(_logger, ex, _function.Name, message.MessageId, message.DequeueCount);
            try
            {
                if (message.DequeueCount >= _host.MaxDequeueCount)
                {
                    await MoveToPoisonAsync(message.MessageId, message.PopReceipt, RawBody(message)).ConfigureAwait(false);
                    return Outcome.Poisoned;
                }
                else
                {
                    await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _host.VisibilityTimeout, cancellationToken: CancellationToken.None)
                        .ConfigureAwait(false);
                }
            }
            catch (Exception release) when (release is Azure.RequestFailedException or HttpRequestException or IOException)
            {
                LocalLog.ReleaseFailed(_logger, _queue.Name, release.Message);
            }
            return Outcome.Failed;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>The message as stored (re-encoded when the queue encodes), so the poison queue's reader decodes it the same way.</summary>
    private BinaryData RawBody(QueueMessage message) =>
        _host.Base64Messages ? BinaryData.FromString(Convert.ToBase64String(message.Body.ToArray())) : message.Body;

    private async Task MoveToPoisonAsync(string messageId, string popReceipt, BinaryData raw)
    {
        await _poison.SendMessageAsync(raw, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await _queue.DeleteMessageAsync(messageId, popReceipt, CancellationToken.None).ConfigureAwait(false);
        _counters.Poisoned(_function.Name);
        LocalLog.Poisoned(_logger, _queue.Name, messageId);
    }

    private async Task OnDecodingFailedAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is { } received)
        {
            await MoveToPoisonAsync(received.MessageId, received.PopReceipt, received.Body).ConfigureAwait(false);
        }
    }
}

/// <summary>What the local host's triggers did, per function (tests and `sgbridge demo --script` read it).</summary>
public sealed class LocalCounters
{
    private readonly ConcurrentDictionary<string, long> _handled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _failed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _poisoned = new(StringComparer.Ordinal);

    public long HandledBy(string function) => _handled.GetValueOrDefault(function);

    public long FailedIn(string function) => _failed.GetValueOrDefault(function);

    public long PoisonedFrom(string function) => _poisoned.GetValueOrDefault(function);

    internal void Handled(string function) => _handled.AddOrUpdate(function, 1, static (_, n) => n + 1);

    internal void Failed(string function) => _failed.AddOrUpdate(function, 1, static (_, n) => n + 1);

    internal void Poisoned(string function) => _poisoned.AddOrUpdate(function, 1, static (_, n) => n + 1);
}
