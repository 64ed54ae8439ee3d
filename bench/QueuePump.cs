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
/// The Functions host's queue trigger (Azure.WebJobs.Extensions.Storage.Queues' QueueListener), as host.json sets it, on
/// the real Azurite queues: <b>one listener per queue</b> per instance; it receives <c>batchSize</c> messages and runs
/// them concurrently, and receives the next batch once no more than <c>newBatchThreshold</c> are still running (so at most
/// batchSize + newBatchThreshold run at once per queue). A receive that finds messages is followed at once by the next;
/// an empty one backs off exponentially (randomised ±20 %) from 100 ms up to <c>maxPollingInterval</c>. Success deletes
/// the message; a failure makes it visible again after <c>visibilityTimeout</c>, and a failure on try
/// <c>maxDequeueCount</c> copies it to "&lt;queue&gt;-poison" and deletes it. Not modelled: the host's immediate poll when
/// a function of the same app writes to the queue through an output binding (the bridge enqueues with its own
/// QueueClient, so that shortcut would not apply), and visibility renewal (messages are received for 10 minutes, far
/// longer than any handler here runs).
/// </summary>
public sealed class QueuePump : IAsyncDisposable
{
    /// <summary>The host receives messages with a 10-minute visibility timeout and renews it while the function runs.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    /// <summary>The host's minimum polling interval (QueuePollingIntervals.Minimum).</summary>
    public static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);

    private readonly QueueServiceClient _service;
    private readonly HostQueueSettings _host;
    private readonly Timeline _timeline;
    private readonly Dictionary<string, (string Path, Func<QueueMessage, CancellationToken, Task> Handler)> _handlers;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _inFlight;
    private int _peakInFlight;

    public QueuePump(QueueServiceClient service, HostQueueSettings host, Timeline timeline,
        Dictionary<string, (string Path, Func<QueueMessage, CancellationToken, Task> Handler)> handlers)
    {
        _service = service;
        _host = host with { BatchSize = Math.Clamp(host.BatchSize, 1, 32) };
        _timeline = timeline;
        _handlers = handlers;
    }

    public ConcurrentDictionary<string, long> Handled { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Failed { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Poisoned { get; } = new(StringComparer.Ordinal);

    /// <summary>Receives that found the queue empty (each one a billed storage transaction).</summary>
    public ConcurrentDictionary<string, long> EmptyPolls { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>When the first message of any queue finished (successfully), Stopwatch ticks; 0 until then.</summary>
    public long FirstHandledAt;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most messages running at once, over all queues.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    public async Task StartAsync()
    {
        _timeline.Path.Value = "setup";
        foreach (var (name, (path, handler)) in _handlers)
        {
            var queue = _service.GetQueueClient(name);
            await queue.CreateIfNotExistsAsync();
            await _service.GetQueueClient(QueueNames.Poison(name)).CreateIfNotExistsAsync();
            _loops.Add(Task.Run(() => ListenAsync(queue, path, handler, _stop.Token)));
        }
        _timeline.Path.Value = null;
    }

    /// <summary>True when every pumped queue is empty (visible or not) and nothing is running, seen twice in a row.</summary>
    public async Task<bool> IsIdleAsync()
    {
        _timeline.Path.Value = "check";
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

    private async Task ListenAsync(QueueClient queue, string path, Func<QueueMessage, CancellationToken, Task> handler, CancellationToken ct)
    {
        var delay = TimeSpan.Zero;
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
                _timeline.Path.Value = "poll";
                messages = (await queue.ReceiveMessagesAsync(_host.BatchSize, Lease, ct)).Value;
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
                EmptyPolls.AddOrUpdate(queue.Name, 1, static (_, n) => n + 1);
                // The host's randomised exponential back-off, from the minimum up to maxPollingInterval.
                delay = delay == TimeSpan.Zero ? MinPoll : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _host.MaxPollingInterval.Ticks));
                try
                {
                    await Task.Delay(delay * (0.8 + (0.4 * Random.Shared.NextDouble())), ct);
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
                var now = Interlocked.Increment(ref _inFlight);
                int peak;
                while (now > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, now, peak) != peak)
                {
                }
                running.Add(Task.Run(() => RunOneAsync(queue, path, handler, message, ct), CancellationToken.None));
            }
        }
        await Task.WhenAll(running);
    }

    private async Task RunOneAsync(QueueClient queue, string path, Func<QueueMessage, CancellationToken, Task> handler, QueueMessage message, CancellationToken ct)
    {
        _timeline.Path.Value = path;
        try
        {
            await handler(message, ct);
            try
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
                // The delete's first attempt timed out on the client but reached the queue; its retry finds nothing.
                // The message is gone and was handled: count it so, as the host would (it logs and moves on).
                Errors.Enqueue($"{queue.Name}: delete retried after a timeout found the message gone (handled)");
            }
            Handled.AddOrUpdate(queue.Name, 1, static (_, n) => n + 1);
            Interlocked.CompareExchange(ref FirstHandledAt, Stopwatch.GetTimestamp(), 0);
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
}
