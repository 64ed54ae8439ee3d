using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Azure.Core;
using Azure.Core.Pipeline;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;

namespace SgBridge.Bench;

/// <summary>Counts and times calls by name: how many, and the summed and per-call latency.</summary>
public sealed class CallStats
{
    private readonly ConcurrentDictionary<string, Stat> _stats = new(StringComparer.Ordinal);

    public void Record(string name, long elapsedTicks)
    {
        var s = _stats.GetOrAdd(name, static _ => new Stat());
        Interlocked.Increment(ref s.Count);
        Interlocked.Add(ref s.Ticks, elapsedTicks);
    }

    public long Count(string name) => _stats.TryGetValue(name, out var s) ? Interlocked.Read(ref s.Count) : 0;

    public long Total(Func<string, bool> filter) => _stats.Where(kv => filter(kv.Key)).Sum(kv => Interlocked.Read(ref kv.Value.Count));

    public IReadOnlyDictionary<string, (long Count, double MeanMs)> Snapshot() =>
        _stats.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(
            kv => kv.Key,
            kv => (kv.Value.Count, kv.Value.Count == 0 ? 0 : Stopwatch.GetElapsedTime(0, kv.Value.Ticks).TotalMilliseconds / kv.Value.Count));

    public void Reset() => _stats.Clear();

    private sealed class Stat
    {
        public long Count;
        public long Ticks;
    }
}

/// <summary>
/// An Azure.Core pipeline policy (per retry, so every HTTP attempt counts) on the bench's Table and Queue clients.
/// Names look like "table GET", "table POST", "queue PUT" …; operations on tables/queues are told apart by method.
/// </summary>
public sealed class StorageCountingPolicy(string service, CallStats stats) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var start = Stopwatch.GetTimestamp();
        ProcessNext(message, pipeline);
        stats.Record(Name(message), Stopwatch.GetTimestamp() - start);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var start = Stopwatch.GetTimestamp();
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        stats.Record(Name(message), Stopwatch.GetTimestamp() - start);
    }

    private string Name(HttpMessage message)
    {
        var path = message.Request.Uri.Path;
        var what = service == "queue"
            ? path.Contains("/messages", StringComparison.Ordinal)
                ? message.Request.Method.Method switch { "POST" => "send", "GET" => "receive", "DELETE" => "delete", "PUT" => "update", var m => m }
                : "admin " + message.Request.Method.Method
            : message.Request.Method.Method switch
            {
                "GET" => "get",
                "POST" when path.EndsWith("/Tables", StringComparison.Ordinal) => "create-table",
                "POST" => "insert",
                "PUT" => message.Request.Headers.TryGetValue("If-Match", out _) ? "replace" : "upsert",
                var m => m,
            };
        var status = message.HasResponse ? message.Response.Status : 0;
        return $"{service} {what}{(status >= 400 ? $" ({status})" : "")}";
    }
}

/// <summary>
/// Counts every AWS SDK HTTP attempt (after the SDK's retry handler, so retries show) by request type, through the
/// SDK's global pipeline customizer registry: no change to Shared's client construction is needed.
/// </summary>
public sealed class AwsCallCounter : IRuntimePipelineCustomizer
{
    public CallStats Stats { get; } = new();

    public string UniqueName => "SgBridge.Bench.AwsCallCounter";

    public void Customize(Type type, RuntimePipeline pipeline) => pipeline.AddHandlerAfter<RetryHandler>(new Handler(Stats));

    private sealed class Handler(CallStats stats) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
            }
            finally
            {
                stats.Record(executionContext.RequestContext.RequestName.Replace("Request", "", StringComparison.Ordinal), Stopwatch.GetTimestamp() - start);
            }
        }

        public override void InvokeSync(IExecutionContext executionContext)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                base.InvokeSync(executionContext);
            }
            finally
            {
                stats.Record(executionContext.RequestContext.RequestName.Replace("Request", "", StringComparison.Ordinal), Stopwatch.GetTimestamp() - start);
            }
        }
    }
}

/// <summary>Counts Slack Web API calls as the stub receives them (each HTTP attempt), by method.</summary>
public sealed class SlackCountingHandler(CallStats stats) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stats.Record("slack " + request.RequestUri!.Segments[^1], Stopwatch.GetTimestamp() - start);
        }
    }
}

/// <summary>
/// Where each event is in time. The pump sets <see cref="Current"/> (an AsyncLocal: it flows into the services'
/// awaits) to the event id, or to "apply:{requestId}", before calling a service; the EC2 decorator reads it.
/// </summary>
public sealed class Timeline
{
    public AsyncLocal<string?> Current { get; } = new();

    public ConcurrentDictionary<string, long> IntakeStart { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> IntakeAck { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Dequeued { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> WriteDone { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Writes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> ProcessDone { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> ClickAck { get; } = new(StringComparer.Ordinal);

    public CallStats Ec2 { get; } = new();
}

/// <summary>Decorates the real <see cref="ISecurityGroupClientFactory"/>: records when each EC2 write returned, per event.</summary>
public sealed class ObservingClientFactory(ISecurityGroupClientFactory inner, Timeline timeline) : ISecurityGroupClientFactory
{
    public async Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var client = await inner.CreateAsync(accountId, region, cancellationToken).ConfigureAwait(false);
        timeline.Ec2.Record("factory.CreateAsync (STS when not cached)", Stopwatch.GetTimestamp() - start);
        return new Client(client, timeline);
    }

    private sealed class Client(ISecurityGroupClient inner, Timeline timeline) : ISecurityGroupClient
    {
        public async Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await inner.DescribeGroupAsync(groupId, groupName, cancellationToken).ConfigureAwait(false);
            timeline.Ec2.Record("client.DescribeGroupAsync", Stopwatch.GetTimestamp() - start);
            return result;
        }

        public async Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var outcome = await inner.ExecuteAsync(write, cancellationToken).ConfigureAwait(false);
            var done = Stopwatch.GetTimestamp();
            timeline.Ec2.Record("client.ExecuteAsync", done - start);
            var key = timeline.Current.Value ?? "(unknown)";
            timeline.Writes.AddOrUpdate(key, 1, static (_, n) => n + 1);
            timeline.WriteDone.TryAdd(key, done);
            return outcome;
        }
    }
}
