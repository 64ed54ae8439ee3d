using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using SgBridge.Shared.Storage;

namespace SgBridge.Bench;

/// <summary>The queue trigger settings the Functions host would use, read from the repo's host.json.</summary>
public sealed record HostQueueSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, TimeSpan MaxPollingInterval, int BatchSize, int NewBatchThreshold)
{
    public static HostQueueSettings Load(string hostJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(hostJsonPath));
        var q = doc.RootElement.GetProperty("extensions").GetProperty("queues");
        return new HostQueueSettings(
            q.TryGetProperty("maxDequeueCount", out var m) ? m.GetInt32() : 5,
            q.TryGetProperty("visibilityTimeout", out var v) ? TimeSpan.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.Zero,
            q.TryGetProperty("maxPollingInterval", out var p) ? TimeSpan.Parse(p.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.FromMinutes(1),
            q.TryGetProperty("batchSize", out var b) ? b.GetInt32() : 16,
            q.TryGetProperty("newBatchThreshold", out var t) ? t.GetInt32() : 8);
    }
}

/// <summary>
/// A small stand-in for the Functions host's queue trigger, on the real Azurite queues: several receivers per queue,
/// each receiving up to <c>batch</c> messages and running them concurrently, fetching the next batch once no more than
/// <c>newBatchThreshold</c> are still running; polling backs off from 100 ms to maxPollingInterval while a queue is empty
/// (as the host does). Success deletes the message; failure makes it visible again after visibilityTimeout, and a failure
/// on try maxDequeueCount moves it to "&lt;queue&gt;-poison" — the host's retry and poison behaviour.
/// </summary>
public sealed class QueuePump : IAsyncDisposable
{
    /// <summary>How long a received message stays invisible while it runs (the host holds and renews it; 5 min is ample).</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);

    private readonly QueueServiceClient _service;
    private readonly HostQueueSettings _host;
    private readonly int _batch;
    private readonly int _receivers;
    private readonly Dictionary<string, Func<QueueMessage, CancellationToken, Task>> _handlers;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _inFlight;

    public QueuePump(QueueServiceClient service, HostQueueSettings host, int batch, int receivers, Dictionary<string, Func<QueueMessage, CancellationToken, Task>> handlers)
    {
        _service = service;
        _host = host;
        _batch = Math.Clamp(batch, 1, 32);
        _receivers = receivers;
        _handlers = handlers;
    }

    public ConcurrentDictionary<string, long> Handled { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Failed { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Poisoned { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Errors { get; } = new();

    public int InFlight => Volatile.Read(ref _inFlight);

    public async Task StartAsync()
    {
        foreach (var (name, handler) in _handlers)
        {
            var queue = _service.GetQueueClient(name);
            await queue.CreateIfNotExistsAsync();
            await _service.GetQueueClient(QueueNames.Poison(name)).CreateIfNotExistsAsync();
            for (var i = 0; i < _receivers; i++)
            {
                _loops.Add(Task.Run(() => ReceiveLoopAsync(queue, handler, _stop.Token)));
            }
        }
    }

    /// <summary>True when every queue is empty and nothing is running, seen twice in a row.</summary>
    public async Task<bool> IsIdleAsync()
    {
        for (var check = 0; check < 2; check++)
        {
            if (InFlight != 0)
            {
                return false;
            }
            foreach (var name in _handlers.Keys)
            {
                var props = await _service.GetQueueClient(name).GetPropertiesAsync();
                if (props.Value.ApproximateMessagesCount != 0)
                {
                    return false;
                }
            }
            await Task.Delay(150);
        }
        return InFlight == 0;
    }

    private async Task ReceiveLoopAsync(QueueClient queue, Func<QueueMessage, CancellationToken, Task> handler, CancellationToken ct)
    {
        var delay = MinPoll;
        var running = new List<Task>();
        while (!ct.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > _host.NewBatchThreshold)
            {
                await Task.WhenAny(running);
                continue;
            }
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(_batch, Lease, ct)).Value;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex)
            {
                Errors.Enqueue($"receive {queue.Name}: {ex.Message}");
                messages = [];
            }
            if (messages.Length == 0)
            {
                try
                {
                    // The host's randomised exponential backoff, capped at maxPollingInterval.
                    await Task.Delay(delay * (0.8 + (0.4 * Random.Shared.NextDouble())), ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _host.MaxPollingInterval.Ticks));
                continue;
            }
            delay = MinPoll;
            foreach (var message in messages)
            {
                Interlocked.Increment(ref _inFlight);
                running.Add(Task.Run(() => RunOneAsync(queue, handler, message, ct), CancellationToken.None));
            }
        }
        await Task.WhenAll(running);
    }

    private async Task RunOneAsync(QueueClient queue, Func<QueueMessage, CancellationToken, Task> handler, QueueMessage message, CancellationToken ct)
    {
        try
        {
            await handler(message, ct);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
            Handled.AddOrUpdate(queue.Name, 1, static (_, n) => n + 1);
        }
        catch (Exception ex)
        {
            Failed.AddOrUpdate(queue.Name, 1, static (_, n) => n + 1);
            Errors.Enqueue($"{queue.Name} try {message.DequeueCount}: {ex.GetType().Name}: {ex.Message}");
            try
            {
                if (message.DequeueCount >= _host.MaxDequeueCount)
                {
                    await _service.GetQueueClient(QueueNames.Poison(queue.Name)).SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
                    Poisoned.AddOrUpdate(queue.Name, 1, static (_, n) => n + 1);
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _host.VisibilityTimeout, cancellationToken: CancellationToken.None);
                }
            }
            catch (Exception release)
            {
                Errors.Enqueue($"release {queue.Name}: {release.Message}");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    public static long Elapsed(long from) => Stopwatch.GetTimestamp() - from;
}
