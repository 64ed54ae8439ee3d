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
/// Names look like "revert|table insert", "notify|queue delete", "poll|queue receive": the path the pump or the intake
/// set in <see cref="Timeline.Path"/> (an AsyncLocal, so it follows the call into the services), then the operation.
/// </summary>
public sealed class StorageCountingPolicy(string service, CallStats stats, Timeline timeline) : HttpPipelinePolicy
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
                ? (message.Request.Method.Method switch { "POST" => "send", "GET" => "receive", "DELETE" => "delete", "PUT" => "update", var m => m })
                    + " " + path.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile(p => !p.StartsWith("sgbridge", StringComparison.Ordinal)).FirstOrDefault()
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
        var pathName = timeline.Path.Value ?? "other";
        if (service == "table" && pathName == "notify")
        {
            // The notification path by operation (which table, which row kind; [render] = a debounced render's
            // notification), so a figure per event can be broken down (docs/performance.md, burst-1000).
            what += " " + TableTarget(path, message.Request.Uri.Query) + (timeline.Render.Value ? " [render]" : "");
        }
        if (pathName is "intake" or "revert" && what is not ("create-table" or "admin PUT" or "admin GET" or "admin DELETE") && timeline.Current.Value is { } eventId)
        {
            timeline.StorageByEvent.AddOrUpdate(eventId, 1, static (_, n) => n + 1);
        }
        return $"{pathName}|{service} {what}{(status >= 400 ? $" ({status})" : "")}";
    }

    /// <summary>"Requests request", "Slack pointer|thread|member", "transaction", "… query": what a table call touched.</summary>
    public static string TableTarget(string path, string query)
    {
        path = Uri.UnescapeDataString(path);
        if (path.EndsWith("/$batch", StringComparison.Ordinal))
        {
            return "transaction";
        }
        var segment = path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var table = segment.StartsWith("Requests", StringComparison.Ordinal) ? "Requests"
            : segment.StartsWith("Slack", StringComparison.Ordinal) ? "Slack"
            : segment.StartsWith("Groups", StringComparison.Ordinal) ? "Groups" : "other";
        var rowKey = segment.IndexOf("RowKey='", StringComparison.Ordinal) is var k and >= 0 ? segment[(k + 8)..] : null;
        if (rowKey is null)
        {
            return table + (Uri.UnescapeDataString(query).Contains("$filter", StringComparison.Ordinal) ? " query" : "");
        }
        var row = table != "Slack" ? "row"
            : rowKey.StartsWith("open-", StringComparison.Ordinal) ? "pointer"
            : rowKey.StartsWith("thread", StringComparison.Ordinal) ? "thread"
            : rowKey.StartsWith("member", StringComparison.Ordinal) ? "member" : "row";
        return table + " " + row;
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
        // The channel of a post or an update (each render shows the batch once per channel), read from the JSON body.
        string? channel = null;
        if (request.Content is { } content && request.RequestUri!.Segments[^1] is "chat.postMessage" or "chat.update")
        {
            var body = await content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            channel = body.Contains("\"CMONITORING\"", StringComparison.Ordinal) ? "monitoring"
                : body.Contains("\"CAPPROVERS\"", StringComparison.Ordinal) ? "approvers" : "other";
        }
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stats.Record("slack " + request.RequestUri!.Segments[^1] + (channel is null ? "" : " " + channel), Stopwatch.GetTimestamp() - start);
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

    /// <summary>Which path a storage call belongs to: intake, revert (changes queue), notify (notifications queue), apply, poll (the pump's receives), setup.</summary>
    public AsyncLocal<string?> Path { get; } = new();

    /// <summary>True while the notification being handled is a debounced render (<c>RequestNotification.Render</c>).</summary>
    public AsyncLocal<bool> Render { get; } = new();

    /// <summary>Render notifications handled by the pump (each renders unless a later one superseded it).</summary>
    public long RenderNotifications;

    public ConcurrentDictionary<string, long> IntakeStart { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> IntakeAck { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Dequeued { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> WriteDone { get; } = new(StringComparer.Ordinal);

    /// <summary>Revert-path storage data operations (intake and revert paths, no queue/table creation) by event id.</summary>
    public ConcurrentDictionary<string, int> StorageByEvent { get; } = new(StringComparer.Ordinal);

    /// <summary>EC2 calls through the bridge's client (describes and writes) by event id.</summary>
    public ConcurrentDictionary<string, int> Ec2ByEvent { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Writes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> ProcessDone { get; } = new(StringComparer.Ordinal);

    /// <summary>ChangeProcessor outcomes (Reverted, Unmatched, …) by name.</summary>
    public ConcurrentDictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

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

        public async Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await inner.DescribeRulesAsync(groupId, cancellationToken).ConfigureAwait(false);
            timeline.Ec2.Record("client.DescribeRulesAsync", Stopwatch.GetTimestamp() - start);
            timeline.Ec2ByEvent.AddOrUpdate(timeline.Current.Value ?? "(unknown)", 1, static (_, n) => n + 1);
            return result;
        }

        public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken) => inner.DescribeRegionAsync(cancellationToken);

        public async Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await inner.DescribeNetworkInterfacesAsync(groupId, cancellationToken).ConfigureAwait(false);
            timeline.Ec2.Record("client.DescribeNetworkInterfacesAsync", Stopwatch.GetTimestamp() - start);
            return result;
        }

        public async Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await inner.DescribeGroupTagsAsync(groupId, cancellationToken).ConfigureAwait(false);
            timeline.Ec2.Record("client.DescribeGroupTagsAsync", Stopwatch.GetTimestamp() - start);
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
            timeline.Ec2ByEvent.AddOrUpdate(key, 1, static (_, n) => n + 1);
            timeline.WriteDone.TryAdd(key, done);
            return outcome;
        }
    }
}

/// <summary>
/// Production log levels without a terminal: host.json's levels (Information by default, Microsoft and Azure.Core at
/// Warning) applied as filters, and every enabled message formatted — the work a real logger does — then counted and
/// dropped, so console I/O on a shared 2-core machine does not stand in for Application Insights.
/// </summary>
public sealed class FormattingNullLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider
{
    private long _lines;
    private long _chars;

    public long Lines => Interlocked.Read(ref _lines);

    public long Chars => Interlocked.Read(ref _chars);

    public void Reset()
    {
        Interlocked.Exchange(ref _lines, 0);
        Interlocked.Exchange(ref _chars, 0);
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(FormattingNullLoggerProvider owner) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            Interlocked.Increment(ref owner._lines);
            Interlocked.Add(ref owner._chars, text.Length);
        }
    }
}

/// <summary>
/// CPU seconds of this process and of its descendants (Azurite, moto, the stub process), from /proc, so the limiting
/// component is measured: a difference of two snapshots over a scenario. Empty where /proc is absent.
/// </summary>
public static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ on Linux

    public static Dictionary<string, double> Snapshot()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc"))
        {
            return result;
        }
        var parents = new Dictionary<int, int>();
        var cpu = new Dictionary<int, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                cpu[pid] = (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
            }
        }
        var self = Environment.ProcessId;
        result["bridge (bench process)"] = cpu.GetValueOrDefault(self);
        foreach (var (pid, seconds) in cpu)
        {
            var p = pid;
            var depth = 0;
            while (p != self && parents.TryGetValue(p, out var parent) && parent > 1 && depth++ < 10)
            {
                p = parent;
            }
            if (p != self || pid == self)
            {
                continue;
            }
            string cmd;
            try
            {
                cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            var name = cmd.Contains("azurite", StringComparison.OrdinalIgnoreCase) ? "azurite"
                : cmd.Contains("moto", StringComparison.OrdinalIgnoreCase) ? "moto"
                : cmd.Contains("--serve-stubs", StringComparison.Ordinal) ? "stubs (EC2/STS/Slack)"
                : "other children";
            result[name] = result.GetValueOrDefault(name) + seconds;
        }
        return result;
    }

    public static Dictionary<string, double> Since(Dictionary<string, double> before) =>
        Snapshot().ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key), StringComparer.Ordinal);

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
