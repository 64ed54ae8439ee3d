using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using SgBridge.Local;
using SgBridge.Shared.Storage;

namespace SgBridge.Bench;

/// <summary>
/// What one storage request is, from its method, URL and body alone: the same classification for the bench's own
/// counting policy (inside the bridge's clients) and for the counting proxy in front of Azurite (a separate process),
/// so the two counts can be compared key by key. "table get Requests", "table batch insert Requests", "queue send
/// sgbridge-changes", "queue receive sgbridge-effects", "queue props sgbridge-changes", …
/// </summary>
public static partial class StorageOp
{
    /// <summary>Creations and the idle checks' property reads: counted, but not the pipeline's data operations.</summary>
    public static bool IsAdmin(string op) => op.StartsWith("table create", StringComparison.Ordinal) || op.StartsWith("queue create", StringComparison.Ordinal)
        || op.StartsWith("queue props", StringComparison.Ordinal) || op.StartsWith("table tables", StringComparison.Ordinal);

    /// <summary>A receive that found nothing: the idle polling's cost, a function of time rather than of events.</summary>
    public static bool IsEmptyReceive(string op) => op.StartsWith("queue receive-empty", StringComparison.Ordinal);

    /// <summary>"queue receive X" becomes "queue receive-empty X" when the answer holds no message.</summary>
    /// A batch is answered 202 whatever its operations did: one refused inside (e.g. an insert that finds the row, 409)
    /// makes it "… (refused inside)".
    public static string WithAnswer(string op, ReadOnlySpan<byte> answer) =>
        op.StartsWith("queue receive ", StringComparison.Ordinal) && answer.IndexOf("<QueueMessage>"u8) < 0
            ? "queue receive-empty " + op["queue receive ".Length..]
            : op.StartsWith("table batch", StringComparison.Ordinal) && (answer.IndexOf("HTTP/1.1 4"u8) >= 0 || answer.IndexOf("HTTP/1.1 5"u8) >= 0)
            ? op + " (refused inside)"
            : op;

    public static string Classify(string service, string method, string path, string query, ReadOnlySpan<byte> body)
    {
        path = Uri.UnescapeDataString(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Path-style emulator URLs: /devstoreaccount1/<table or queue>/…
        var rest = segments.Length > 0 && segments[0] == "devstoreaccount1" ? segments[1..] : segments;
        if (service == "table")
        {
            if (rest.Length == 0)
            {
                return "table other";
            }
            if (rest[0] == "$batch")
            {
                var text = Encoding.UTF8.GetString(body);
                var insert = BatchInsert().IsMatch(text);
                var table = BatchTable().Match(text) is { Success: true } m ? TableName(m.Groups[1].Value) : "other";
                return $"table batch {(insert ? "insert" : "write")} {table}";
            }
            if (rest[0].StartsWith("Tables", StringComparison.Ordinal))
            {
                return method == "POST" ? "table create" : "table tables";
            }
            var paren = rest[0].IndexOf('(', StringComparison.Ordinal);
            var name = TableName(paren >= 0 ? rest[0][..paren] : rest[0]);
            var entity = paren >= 0 && rest[0].Length > paren + 2;
            return method switch
            {
                "GET" => entity ? $"table get {name}" : $"table query {name}",
                "POST" => $"table insert {name}",
                "PUT" or "MERGE" or "PATCH" => $"table update {name}",
                "DELETE" => $"table delete {name}",
                _ => $"table {method.ToLowerInvariant()} {name}",
            };
        }
        if (rest.Length == 0)
        {
            return "queue other";
        }
        var queue = rest[0];
        if (rest.Length == 1)
        {
            return method == "PUT" ? $"queue create {queue}" : $"queue props {queue}";
        }
        var message = rest.Length > 2;
        return method switch
        {
            "GET" => query.Contains("peekonly=true", StringComparison.OrdinalIgnoreCase) ? $"queue peek {queue}" : $"queue receive {queue}",
            "POST" => $"queue send {queue}",
            "DELETE" => message ? $"queue delete {queue}" : $"queue clear {queue}",
            "PUT" => $"queue update {queue}",
            _ => $"queue {method.ToLowerInvariant()} {queue}",
        };
    }

    /// <summary>"Requests…", "Groups…", "Slack…" (the bench gives each run its own tables, named with a suffix).</summary>
    public static string TableName(string table) =>
        table.StartsWith("Requests", StringComparison.Ordinal) ? "Requests"
        : table.StartsWith("Groups", StringComparison.Ordinal) ? "Groups"
        : table.StartsWith("Slack", StringComparison.Ordinal) ? "Slack" : table;

    /// <summary>The event a queue message is about (a queue send's XML body: base64 of the bridge's JSON), if it says.</summary>
    public static string? EventIdOfSend(ReadOnlySpan<byte> body)
    {
        var xml = Encoding.UTF8.GetString(body);
        var m = MessageText().Match(xml);
        if (!m.Success)
        {
            return null;
        }
        try
        {
            return EventIdOf(Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value)));
        }
        catch (FormatException)
        {
            return EventIdOf(m.Groups[1].Value);
        }
    }

    public static string? EventIdOf(string json) => EventIdProperty().Match(json) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"^POST [^ ]+/Requests[^ (/]* HTTP", RegexOptions.Multiline)]
    private static partial Regex BatchInsert();

    [GeneratedRegex(@"^(?:POST|PUT|MERGE|PATCH|DELETE|GET) [^ ]+/(\w+?)(?:\(| HTTP)", RegexOptions.Multiline)]
    private static partial Regex BatchTable();

    [GeneratedRegex(@"<MessageText>([^<]*)</MessageText>")]
    private static partial Regex MessageText();

    [GeneratedRegex("\"eventId\"\\s*:\\s*\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex EventIdProperty();
}

/// <summary>Which function (and which event) the current async flow works for: set by <see cref="InvocationObserver"/>.</summary>
public static class BenchScope
{
    public static readonly AsyncLocal<string?> Function = new();
    public static readonly AsyncLocal<string?> EventId = new();
}

/// <summary>The bench's own counts: storage ops by "function|op", per event, and when each event's request was recorded.</summary>
public sealed class OwnCounts
{
    public ConcurrentDictionary<string, long> Ops { get; } = new(StringComparer.Ordinal);

    /// <summary>Storage ops on the revert path (intake + RevertChange) by event.</summary>
    public ConcurrentDictionary<string, int> RevertOpsByEvent { get; } = new(StringComparer.Ordinal);

    /// <summary>When the revert path first wrote an event's request (Stopwatch timestamp).</summary>
    public ConcurrentDictionary<string, long> RecordedAt { get; } = new(StringComparer.Ordinal);

    /// <summary>Changes-queue messages handled, by event (inline fallbacks and queued events).</summary>
    public ConcurrentDictionary<string, int> ChangesHandled { get; } = new(StringComparer.Ordinal);

    /// <summary>Intake calls that reached the function (server side), by event.</summary>
    public ConcurrentDictionary<string, int> IntakeCalls { get; } = new(StringComparer.Ordinal);

    public long FirstOp;

    /// <summary>Messages handled (or poisoned) per queue when the window opened.</summary>
    public Dictionary<string, long> HandledAtReset { get; } = new(StringComparer.Ordinal);

    public void Reset()
    {
        Ops.Clear();
        RevertOpsByEvent.Clear();
        RecordedAt.Clear();
        ChangesHandled.Clear();
        IntakeCalls.Clear();
        Interlocked.Exchange(ref FirstOp, 0);
    }

    public void Record(string op, int status)
    {
        var function = BenchScope.Function.Value;
        // A call the listener makes itself (receive, delete, release) belongs to the function of its queue.
        var path = function ?? PathOfQueueOp(op);
        Ops.AddOrUpdate(path + "|" + op + (status >= 400 ? $" ({status})" : ""), 1, static (_, n) => n + 1);
        if (!StorageOp.IsAdmin(op))
        {
            Interlocked.CompareExchange(ref FirstOp, Stopwatch.GetTimestamp(), 0);
        }
        if (BenchScope.EventId.Value is { } eventId && IsRevertPath(path) && !StorageOp.IsAdmin(op))
        {
            RevertOpsByEvent.AddOrUpdate(eventId, 1, static (_, n) => n + 1);
            if (status < 300 && (op is "table insert Requests" or "table batch insert Requests"))
            {
                RecordedAt.TryAdd(eventId, Stopwatch.GetTimestamp());
            }
        }
    }

    public static bool IsRevertPath(string path) => path is Paths.Intake or Paths.Revert;

    private static string PathOfQueueOp(string op) =>
        op.StartsWith("queue props", StringComparison.Ordinal) || op.StartsWith("queue create", StringComparison.Ordinal) ? Paths.Poll
        : op.EndsWith(" " + QueueNames.Changes, StringComparison.Ordinal) ? (op.StartsWith("queue receive", StringComparison.Ordinal) ? Paths.Poll : Paths.Revert)
        : op.StartsWith("queue receive", StringComparison.Ordinal) || op.StartsWith("queue props", StringComparison.Ordinal) ? Paths.Poll
        : op.EndsWith(" " + QueueNames.Effects, StringComparison.Ordinal) ? Paths.Effects
        : Paths.Other;
}

/// <summary>The paths the report names: the function whose work it is (by its name in the FunctionApp).</summary>
public static class Paths
{
    public const string Intake = "ReceiveAwsEvent";
    public const string Revert = "RevertChange";
    public const string Effects = "PerformEffects";
    public const string Settle = "ReconcileGroups";
    public const string Poll = "poll";
    public const string Other = "other";
}

/// <summary>Counts each storage HTTP attempt the bridge (or the host's listeners) makes, as <see cref="StorageOp"/> names it.</summary>
public sealed class StorageCountingPolicy(string service, OwnCounts counts) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Count(message);
    }

    private void Count(HttpMessage message)
    {
        var uri = message.Request.Uri;
        ReadOnlySpan<byte> body = default;
        if (service == "table" && uri.Path.EndsWith("$batch", StringComparison.Ordinal) && message.Request.Content is { } content)
        {
            using var buffer = new MemoryStream();
            content.WriteTo(buffer, CancellationToken.None);
            body = buffer.ToArray();
        }
        var op = StorageOp.Classify(service, message.Request.Method.Method, uri.Path, uri.Query, body);
        if (message.HasResponse && message.Response.Status is 200 or 202 && message.Response.ContentStream is MemoryStream)
        {
            op = StorageOp.WithAnswer(op, message.Response.Content.ToMemory().Span);
        }
        counts.Record(op, message.HasResponse ? message.Response.Status : 0);
    }
}

/// <summary>Sets <see cref="BenchScope"/> when the local host starts a function: the intake's event from the driver's header, a changes message's from its body.</summary>
public sealed class InvocationObserver(OwnCounts counts) : IFunctionInvocationObserver
{
    public const string EventHeader = "x-bench-event";

    public IDisposable? Begin(FunctionDescriptor function, HttpRequest? request, QueueMessage? message)
    {
        BenchScope.Function.Value = function.Name;
        string? eventId = null;
        if (request is not null && function.Name == Paths.Intake)
        {
            eventId = request.Headers[EventHeader].ToString();
            counts.IntakeCalls.AddOrUpdate(eventId, 1, static (_, n) => n + 1);
        }
        else if (message is not null && function.Name == Paths.Revert)
        {
            eventId = StorageOp.EventIdOf(message.Body.ToString());
            if (eventId is not null)
            {
                counts.ChangesHandled.AddOrUpdate(eventId, 1, static (_, n) => n + 1);
            }
        }
        BenchScope.EventId.Value = eventId;
        return null;
    }
}

/// <summary>
/// Counts every AWS SDK HTTP attempt (after the SDK's retry handler, so retries show) by request type, through the
/// SDK's global pipeline customizer registry: the bench's own count of EC2/STS calls (the emulator counts apart).
/// </summary>
public sealed class AwsCallCounter : IRuntimePipelineCustomizer
{
    public ConcurrentDictionary<string, long> Calls { get; } = new(StringComparer.Ordinal);

    public string UniqueName => "SgBridge.Bench.AwsCallCounter";

    public void Customize(Type type, RuntimePipeline pipeline) => pipeline.AddHandlerAfter<RetryHandler>(new Handler(this));

    private sealed class Handler(AwsCallCounter owner) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            try
            {
                return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
            }
            finally
            {
                owner.Calls.AddOrUpdate(executionContext.RequestContext.RequestName.Replace("Request", "", StringComparison.Ordinal), 1, static (_, n) => n + 1);
            }
        }

        public override void InvokeSync(IExecutionContext executionContext)
        {
            try
            {
                base.InvokeSync(executionContext);
            }
            finally
            {
                owner.Calls.AddOrUpdate(executionContext.RequestContext.RequestName.Replace("Request", "", StringComparison.Ordinal), 1, static (_, n) => n + 1);
            }
        }
    }
}

/// <summary>
/// host.json's log levels without a terminal (Information by default, Microsoft and Azure.Core at Warning): every
/// enabled message formatted — the work a real logger does — then counted and dropped.
/// </summary>
public sealed class FormattingNullLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider
{
    private long _lines;

    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>Lines by category and event id (what the profile of the logging cost names).</summary>
    public ConcurrentDictionary<string, long> ByMessage { get; } = new(StringComparer.Ordinal);

    public void Reset()
    {
        Interlocked.Exchange(ref _lines, 0);
        ByMessage.Clear();
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(FormattingNullLoggerProvider owner, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            _ = formatter(state, exception);
            Interlocked.Increment(ref owner._lines);
            owner.ByMessage.AddOrUpdate($"{logLevel} {category}[{eventId.Id}] {eventId.Name}", 1, static (_, n) => n + 1);
        }
    }
}
