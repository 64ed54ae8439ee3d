using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SgBridge.Emulators;
using SgBridge.Shared.Storage;

namespace SgBridge.Bench;

/// <summary>
/// The independent count: a forwarding proxy in front of Azurite's table and queue ports, in its own process, that
/// classifies every request it passes (<see cref="StorageOp"/>) with Azurite's answer, notes when the first table read
/// and the last request insert passed, and which events' changes-queue sends Azurite accepted (201). The bridge's
/// connection string points at it; the bench's own counters (inside the bridge's clients) never see these figures.
/// </summary>
public static class StorageProxy
{
    public sealed record Counts(Dictionary<string, long> Ops, long FirstTableReadUnixMs, long LastRequestInsertUnixMs, long RequestInserts, Dictionary<string, int> ChangesSendsByEvent)
    {
        /// <summary>The proxy's own stalls (<see cref="StallWatch"/>): count, longest, sum.</summary>
        public long Stalls { get; init; }
        public long MaxStallMs { get; init; }
        public long StalledMs { get; init; }

        /// <summary>Azurite's answers that took 1 s or more (request forwarded → answer read), and the slowest.</summary>
        public long SlowAnswers { get; init; }
        public long MaxAnswerMs { get; init; }
    }

    /// <summary>Child-process entry: forwards 127.0.0.1:(free) → table, 127.0.0.1:(free) → queue; prints "PROXY tablePort queuePort".</summary>
    public static async Task<int> RunAsync(string tableTarget, string queueTarget)
    {
        var tablePort = ChildProcess.FreePort();
        var queuePort = ChildProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{tablePort}", $"http://127.0.0.1:{queuePort}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        var app = builder.Build();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        }) { Timeout = Timeout.InfiniteTimeSpan };
        var ops = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var sends = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        long firstRead = 0, lastInsert = 0, inserts = 0, slowAnswers = 0, maxAnswerMs = 0;
        var stalls = new StallWatch();
        var tableUri = new Uri(tableTarget);
        var queueUri = new Uri(queueTarget);
        app.Run(async context =>
        {
            var request = context.Request;
            if (request.Path.StartsWithSegments("/__bench"))
            {
                if (request.Path == "/__bench/reset")
                {
                    ops.Clear();
                    sends.Clear();
                    Interlocked.Exchange(ref firstRead, 0);
                    Interlocked.Exchange(ref lastInsert, 0);
                    Interlocked.Exchange(ref inserts, 0);
                    Interlocked.Exchange(ref slowAnswers, 0);
                    Interlocked.Exchange(ref maxAnswerMs, 0);
                    stalls.Reset();
                    return;
                }
                var (n, max, total) = stalls.Read();
                await context.Response.WriteAsJsonAsync(new Counts(new(ops), Interlocked.Read(ref firstRead), Interlocked.Read(ref lastInsert), Interlocked.Read(ref inserts), new(sends))
                {
                    Stalls = n, MaxStallMs = max, StalledMs = total, SlowAnswers = Interlocked.Read(ref slowAnswers), MaxAnswerMs = Interlocked.Read(ref maxAnswerMs),
                });
                return;
            }
            var table = context.Connection.LocalPort == tablePort;
            var target = table ? tableUri : queueUri;
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            var bytes = body.ToArray();
            var service = table ? "table" : "queue";
            var op = StorageOp.Classify(service, request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", bytes);
            if (table && request.Method == "GET")
            {
                Interlocked.CompareExchange(ref firstRead, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(target, request.Path.Value + request.QueryString.Value));
            if (bytes.Length > 0 || request.ContentLength == 0 && request.Method is "POST" or "PUT" or "MERGE" or "PATCH")
            {
                forward.Content = new ByteArrayContent(bytes);
            }
            foreach (var (name, values) in request.Headers)
            {
                if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Expect", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                {
                    forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }
            var forwarded = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(forward, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
            var status = (int)response.StatusCode;
            var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            var answerMs = (long)Stopwatch.GetElapsedTime(forwarded).TotalMilliseconds;
            if (answerMs >= 1000)
            {
                Interlocked.Increment(ref slowAnswers);
            }
            long slowest;
            while (answerMs > (slowest = Interlocked.Read(ref maxAnswerMs)) && Interlocked.CompareExchange(ref maxAnswerMs, answerMs, slowest) != slowest)
            {
            }
            if (status is 200 or 202)
            {
                op = StorageOp.WithAnswer(op, answer);
            }
            ops.AddOrUpdate(op + (status >= 400 ? $" ({status.ToString(CultureInfo.InvariantCulture)})" : ""), 1, static (_, n) => n + 1);
            if (status < 300 && op is "table insert Requests" or "table batch insert Requests")
            {
                Interlocked.Increment(ref inserts);
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), seen;
                while (now > (seen = Interlocked.Read(ref lastInsert)) && Interlocked.CompareExchange(ref lastInsert, now, seen) != seen)
                {
                }
            }
            if (status == 201 && op == "queue send " + QueueNames.Changes && StorageOp.EventIdOfSend(bytes) is { } eventId)
            {
                sends.AddOrUpdate(eventId, 1, static (_, n) => n + 1);
            }
            context.Response.StatusCode = status;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }
            if (answer.Length > 0)
            {
                await context.Response.Body.WriteAsync(answer, context.RequestAborted);
            }
        });
        await app.StartAsync();
        Console.Out.WriteLine($"PROXY {tablePort.ToString(CultureInfo.InvariantCulture)} {queuePort.ToString(CultureInfo.InvariantCulture)}");
        Console.Out.Flush();
        // Runs until the parent closes stdin (or dies).
        await Task.Run(() => Console.In.ReadToEnd());
        await app.StopAsync();
        return 0;
    }

    /// <summary>The proxy as a child process of the bench (its CPU is not the bridge's).</summary>
    public sealed class Child : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

        private Child(Process process, int tablePort, int queuePort)
        {
            _process = process;
            TablePort = tablePort;
            QueuePort = queuePort;
        }

        public int TablePort { get; }

        public int QueuePort { get; }

        public string ConnectionString =>
            $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};" +
            $"TableEndpoint=http://127.0.0.1:{TablePort.ToString(CultureInfo.InvariantCulture)}/{Azurite.AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{QueuePort.ToString(CultureInfo.InvariantCulture)}/{Azurite.AccountName};";

        public static async Task<Child> StartAsync(Azurite azurite)
        {
            var process = Program.StartSelf(["--serve-storage-proxy", Origin(azurite.TableEndpoint), Origin(azurite.QueueEndpoint)]);
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
            var parts = line?.Split(' ');
            if (parts is not ["PROXY", var t, var q])
            {
                ChildProcess.Stop(process);
                throw new InvalidOperationException($"The storage proxy did not start: {line} {await process.StandardError.ReadToEndAsync()}");
            }
            return new Child(process, int.Parse(t, CultureInfo.InvariantCulture), int.Parse(q, CultureInfo.InvariantCulture));
        }

        private static string Origin(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Authority);

        public async Task ResetAsync() => (await _http.PostAsync($"http://127.0.0.1:{TablePort}/__bench/reset", null)).EnsureSuccessStatusCode();

        public async Task<Counts> CountsAsync() =>
            JsonSerializer.Deserialize<Counts>(await _http.GetStringAsync($"http://127.0.0.1:{TablePort}/__bench/counts"), JsonSerializerOptions.Web)!;

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    ChildProcess.Stop(_process);
                }
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>--noise N: N threads spinning in a child process beside the pipeline (the loaded profile, reproducible; its CPU is not the bridge's).</summary>
public static class Noise
{
    public static int Run(int threads)
    {
        for (var i = 0; i < threads; i++)
        {
            new Thread(() =>
            {
                var x = 0UL;
                while (true)
                {
                    x = (x * 6364136223846793005UL) + 1442695040888963407UL;
                }
            }) { IsBackground = true, Name = "noise" }.Start();
        }
        Console.Out.WriteLine($"NOISE {threads.ToString(CultureInfo.InvariantCulture)}");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    public static async Task<Process?> StartAsync(int threads)
    {
        if (threads <= 0)
        {
            return null;
        }
        var process = Program.StartSelf(["--serve-noise", threads.ToString(CultureInfo.InvariantCulture)]);
        await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return process;
    }

    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(3000))
            {
                ChildProcess.Stop(process);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }
}
