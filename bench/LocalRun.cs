using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Emulators;
using SgBridge.Local;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;

namespace SgBridge.Bench;

/// <summary>What lives for the whole bench process: the AWS SDK call counter; and per run, a fresh Azurite and the counting proxy in front of it.</summary>
public sealed class BenchEnv : IAsyncDisposable
{
    public required BenchOptions Options { get; init; }
    public required string Root { get; init; }
    public required AwsCallCounter Aws { get; init; }
    public required JsonNode Template { get; init; }

    /// <summary>Concurrent intake calls: the Bicep's per-instance HTTP concurrency (one instance), unless --intake-concurrency says.</summary>
    public required int IntakeConcurrency { get; init; }

    /// <summary>Stalls of this process, where the bridge runs.</summary>
    public StallWatch Stalls { get; } = new();

    public Azurite Azurite { get; private set; } = null!;
    public StorageProxy.Child Proxy { get; private set; } = null!;

    /// <summary>
    /// A fresh Azurite and proxy for each run: runs are repetitions of one experiment, so none inherits the last one's
    /// queues (messages a run left invisible), tables or the emulator's grown in-memory stores.
    /// </summary>
    public async Task FreshStorageAsync()
    {
        await DisposeAsync();
        Console.Error.WriteLine("Starting Azurite and the counting proxy…");
        var azurite = await Azurite.StartAsync(Root);
        try
        {
            Proxy = await StorageProxy.Child.StartAsync(azurite);
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
        Azurite = azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }
}

/// <summary>One run's figures (one burst through one fresh local host).</summary>
public sealed class RunResult
{
    public string Name { get; set; } = "";
    public int Events { get; set; }
    public int Forged { get; set; }
    public int Noise { get; set; }
    public bool Drained { get; set; } = true;
    public string LoadBefore { get; set; } = "";
    public string LoadAfter { get; set; } = "";

    /// <summary>Events ÷ (first intake call sent → last request recorded by the revert path), from the bench's own counters.</summary>
    public double EventsPerSecond { get; set; }

    /// <summary>Request inserts Azurite accepted ÷ (first table read → last request insert), as the proxy saw them.</summary>
    public double EventsPerSecondIndependent { get; set; }

    public double WorkSeconds { get; set; }
    public double AllDoneSeconds { get; set; }
    public Dictionary<string, int> Answers { get; set; } = [];
    public int ClientAttempts { get; set; }
    public int Abandoned { get; set; }
    public int IntakeCallsAtServer { get; set; }
    public int Retried { get; set; }
    public int Answered503 { get; set; }
    public int False503 { get; set; }
    public int InlineDone { get; set; }
    public int InlineDoneLate { get; set; }
    public int Fallbacks { get; set; }
    public double FallbackPercent => Events == 0 ? 0 : 100.0 * Fallbacks / Events;
    public int FallbackCopiesHandled { get; set; }
    public double IntakeP50Ms { get; set; }
    public double IntakeP99Ms { get; set; }
    public double IntakeMaxMs { get; set; }
    public double RevertOpsPerEvent { get; set; }
    public int RevertOpsMaxOneEvent { get; set; }
    public double RevertOpsInlinePerEvent { get; set; }
    public int RevertOpsInlineMax { get; set; }
    public double WholeOpsPerEvent { get; set; }
    public double WholeOpsPerEventIndependent { get; set; }
    public long OwnDataOps { get; set; }
    public long IndependentDataOps { get; set; }
    public double PollsPerEvent { get; set; }
    public double EmptyReceivesPerMinute { get; set; }
    public double DescribesPerEvent { get; set; }
    public double WritesPerEvent { get; set; }
    public double DescribesPerEventSdk { get; set; }
    public long SettleChecksRun { get; set; }
    public long SettleChecksSent { get; set; }
    /// <summary>This process's CPU over the run (first call → idle), less the idle host's rate × the run's time, per event.</summary>
    public double CpuMsPerEvent { get; set; }
    public double IdleCpuMsPerSecond { get; set; }
    public double BareCpuMsPerEvent { get; set; }
    public double CpuRatio => BareCpuMsPerEvent > 0 ? CpuMsPerEvent / BareCpuMsPerEvent : double.NaN;

    /// <summary>With --hold-effects: this process's CPU from the first call until every request was recorded (effects and
    /// settle checks held), less the idle host's rate, per event: the intake and revert path alone. NaN otherwise.</summary>
    public double RevertCpuMsPerEvent { get; set; } = double.NaN;
    public double RevertCpuRatio => BareCpuMsPerEvent > 0 ? RevertCpuMsPerEvent / BareCpuMsPerEvent : double.NaN;
    public double AllocatedKbPerEvent { get; set; }
    public double BareAllocatedKbPerEvent { get; set; }
    public double LogLinesPerEvent { get; set; }
    public int RowsStored { get; set; }
    public int WrongStatus { get; set; }
    public int RulesStillPresent { get; set; }
    public long Revokes { get; set; }
    public long StsCalls { get; set; }
    public long Failed { get; set; }
    public long Poisoned { get; set; }
    public Dictionary<string, long> OwnOps { get; set; } = [];
    public Dictionary<string, long> ProxyOps { get; set; } = [];
    public Dictionary<string, long> Ec2Calls { get; set; } = [];
    public Dictionary<string, long> SdkCalls { get; set; } = [];
    public Dictionary<string, long> LogLines { get; set; } = [];
    public Dictionary<string, int> RowsByStatus { get; set; } = [];

    /// <summary>Which process stalled during the run (woke 500 ms or more late: count, longest ms, sum ms), and Azurite's slow answers.</summary>
    public string Stalls { get; set; } = "";

    /// <summary>Methods the runtime compiled from the first call until every request was recorded, and the time it took.</summary>
    public string JitInRevertWindow { get; set; } = "";
}

public static class LocalRun
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    /// <summary>EventBridge's API destinations wait 5 s for an answer; then the attempt counts as failed and is retried.</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Retries after a 5xx or a timeout (EventBridge retries for 24 h; three are enough to end a burst).</summary>
    private const int MaxRetries = 3;

    /// <summary>
    /// Warm-up events before a burst, in two rounds: enough for the runtime's tiered compilation (a method is recompiled
    /// optimised after 30 calls) to reach the path's code, as in a host that has been running; the smoke keeps 20.
    /// </summary>
    private const int WarmupEvents = 100;

    private const int SmokeWarmupEvents = 20;

    public static async Task<RunResult> RunAsync(BenchEnv env, string name, int count, int forgedEvery)
    {
        var o = env.Options;
        await env.FreshStorageAsync();
        var own = new OwnCounts();
        var logs = new FormattingNullLoggerProvider();
        var suffix = name.Replace("-", "", StringComparison.Ordinal) + Guid.NewGuid().ToString("N")[..8];
        var options = new LocalBridgeOptions
        {
            StorageConnectionString = env.Proxy.ConnectionString,
            Aws = LocalAwsMode.Emulator,
            // Timers run on schedules of minutes (sweep, catch-up, expiry, purge): not part of an event's work.
            TimerTriggers = false,
            MinimumLogLevel = LogLevel.Information,
            // host.json's logLevel categories (Microsoft, Azure.Core, System.Net.Http.HttpClient at Warning).
            ConfigureLogging = b => b.AddProvider(logs).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Azure.Core", LogLevel.Warning)
                .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning),
            ConfigureStorageClients = c => c.AddPolicy(new StorageCountingPolicy(c is QueueClientOptions ? "queue" : "table", own), HttpPipelinePosition.PerRetry),
            ConfigureServices = s =>
            {
                s.AddSingleton<IFunctionInvocationObserver>(new InvocationObserver(own));
                // The bridge's own clients as StorageClients builds them (same retry bounds), with the counting policy.
                s.AddSingleton(sp =>
                {
                    var so = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
                    var t = new TableClientOptions();
                    Bound(t.Retry, so.TableNetworkTimeout, so.MaxRetries);
                    t.AddPolicy(new StorageCountingPolicy("table", own), HttpPipelinePosition.PerRetry);
                    return new TableServiceClient(so.ConnectionString, t);
                });
                s.AddSingleton(sp =>
                {
                    var so = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
                    var q = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
                    Bound(q.Retry, so.QueueNetworkTimeout, so.MaxRetries);
                    q.AddPolicy(new StorageCountingPolicy("queue", own), HttpPipelinePosition.PerRetry);
                    return new QueueServiceClient(so.ConnectionString, q);
                });
            },
        };
        options.Settings["Storage:RequestsTable"] = "Requests" + suffix;
        options.Settings["Storage:GroupsTable"] = "Groups" + suffix;
        options.Settings["Storage:SlackTable"] = "Slack" + suffix;
        // Settle checks are queued Reconcile:SettleDelay ahead; the bench waits for them and counts their work.
        options.Settings["Reconcile:SettleDelay"] = TimeSpan.FromSeconds(o.SettleDelaySeconds).ToString("c", CultureInfo.InvariantCulture);
        foreach (var (key, value) in o.Settings)
        {
            options.Settings[key] = value;
        }

        Console.Error.WriteLine($"[{name}] starting the local host, onboarding 10×10 groups, then {count} events…");
        await using var bridge = await LocalBridge.StartAsync(options);
        var emulator = bridge.AwsEmulator!;
        var workload = new Workload(bridge.AwsEndpoint!, accounts: 10, groupsPerAccount: 10);
        await workload.CreateGroupsAsync();
        var tables = bridge.Services.GetRequiredService<TableServiceClient>();
        // The deployment creates the tables (bicep: tableNames): so does the bench, before the measured window.
        foreach (var table in new[] { "Requests", "Groups", "Slack" })
        {
            await tables.GetTableClient(table + suffix).CreateIfNotExistsAsync();
        }
        var baseline = bridge.Services.GetRequiredService<BaselineService>();
        foreach (var account in workload.Accounts)
        {
            await baseline.BaselineAsync(account, Workload.Region, force: false, CancellationToken.None);
        }

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = env.IntakeConcurrency * 2 }) { Timeout = Timeout.InfiniteTimeSpan };
        // Warm-up events first, outside the window (a running host has its code compiled and its connections open), from a
        // requester of their own: no measured event joins a warm-up event's Slack batch.
        // In two rounds, each followed by a quiet spell: the runtime counts calls towards optimised code only after a
        // quiet spell, so one round leaves the path's promotion (and its compiling) to the measured burst.
        foreach (var round in o.Smoke ? [SmokeWarmupEvents] : new[] { WarmupEvents / 2, WarmupEvents / 2 })
        {
            var warm = await workload.NewEventsAsync(round);
            await Parallel.ForEachAsync(warm, new ParallelOptions { MaxDegreeOfParallelism = env.IntakeConcurrency }, async (e, _) =>
            {
                using var request = Post(bridge, Workload.EnvelopeFor(env.Template, e, "bench-warmup@example.com"), e.EventId);
                using var response = await http.SendAsync(request);
            });
            await WaitIdleAsync(bridge);
            await WaitJitQuietAsync();
        }
        // The measured events' rules are added after the warm-up's reverts: a revert converges its whole group.
        var events = await workload.NewEventsAsync(count, forgedEvery);
        var bodies = events.Select(e => Workload.EnvelopeFor(env.Template, e)).ToArray();
        await WaitIdleAsync(bridge);

        own.Reset();
        foreach (var (queue, function) in Handlers)
        {
            own.HandledAtReset[queue] = bridge.Counters.HandledBy(function) + bridge.Counters.PoisonedFrom(function);
        }
        logs.Reset();
        env.Aws.Calls.Clear();
        emulator.ResetCallCounts();
        await env.Proxy.ResetAsync();
        env.Stalls.Reset();
        env.Azurite.ResetStalls();
        var counters = bridge.Counters;
        long failedBefore = counters.FailedIn(Paths.Intake) + counters.FailedIn(Paths.Revert) + counters.FailedIn(Paths.Effects) + counters.FailedIn(Paths.Settle);
        long poisonedBefore = counters.PoisonedFrom(Paths.Revert) + counters.PoisonedFrom(Paths.Effects) + counters.PoisonedFrom(Paths.Settle);
        long settleBefore = counters.HandledBy(Paths.Settle);

        // Processed: done in the intake; Copied: done past the inline budget, after a fallback copy was queued (then withdrawn).
        var answers = new ConcurrentDictionary<string, ConcurrentQueue<(int Status, bool Processed, bool Copied)>>(StringComparer.Ordinal);
        var latencies = new ConcurrentBag<double>();
        var attempts = 0;
        var abandoned = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var loadBefore = LoadAverage();
        if (o.HoldEffects)
        {
            bridge.HoldQueues(QueueNames.Effects, QueueNames.Reconcile);
        }
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocBefore = GC.GetTotalAllocatedBytes(precise: false);
        var jitBefore = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
        Console.Error.WriteLine($"[{name}] measured window: sending {count} events…");
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = env.IntakeConcurrency }, async (i, _) =>
        {
            var e = events[i];
            var list = answers.GetOrAdd(e.EventId, _ => new());
            for (var attempt = 0; attempt <= MaxRetries; attempt++)
            {
                Interlocked.Increment(ref attempts);
                using var request = Post(bridge, bodies[i], e.EventId);
                using var timeout = new CancellationTokenSource(ClientTimeout);
                var sent = Stopwatch.GetTimestamp();
                TimeSpan wait;
                try
                {
                    using var response = await http.SendAsync(request, timeout.Token);
                    var text = await response.Content.ReadAsStringAsync(timeout.Token);
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    var status = (int)response.StatusCode;
                    list.Enqueue((status, text.Contains("\"status\":\"processed\"", StringComparison.Ordinal), text.Contains("its fallback copy:", StringComparison.Ordinal)));
                    if (status < 500 && status != 429)
                    {
                        return;
                    }
                    wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    // The client gave up (as EventBridge does at 5 s): the bridge may still have done the work.
                    abandoned.AddOrUpdate(e.EventId, 1, static (_, n) => n + 1);
                    list.Enqueue((0, false, false));
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    wait = TimeSpan.FromSeconds(1);
                }
                catch (HttpRequestException)
                {
                    abandoned.AddOrUpdate(e.EventId, 1, static (_, n) => n + 1);
                    list.Enqueue((0, false, false));
                    wait = TimeSpan.FromSeconds(1);
                }
                await Task.Delay(wait);
            }
        });

        // The work is done when every event's request is recorded; the fallback copies and settle checks are then waited
        // out (they are counted as the pipeline's work, but they are not the time the events took).
        // From the end of the sends: a loaded machine may take long, and a run that does not drain is reported as such.
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        var expected = events.Count(e => answers[e.EventId].Any(a => a.Status == 202));
        while (events.Count(e => own.RecordedAt.ContainsKey(e.EventId)) < expected && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }
        var lastRecord = own.RecordedAt.Values.DefaultIfEmpty(Stopwatch.GetTimestamp()).Max();
        var revertCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var revertJit = (System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore.Item1, System.Runtime.JitInfo.GetCompilationTime() - jitBefore.Item2);
        var revertSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.Error.WriteLine($"[{name}] every request recorded after {revertSeconds:F1} s.");
        bridge.ResumeQueues();
        // Then every message sent handled (from the counts in memory: no storage call of the bench's own while CPU is measured).
        var drained = await WaitHandledAsync(own, bridge.Counters, deadline);
        var allDone = Stopwatch.GetTimestamp();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var alloc = GC.GetTotalAllocatedBytes(precise: false) - allocBefore;
        if (drained)
        {
            await WaitIdleAsync(bridge);
        }
        var loadAfter = LoadAverage();
        // The idle host's own CPU (its listeners polling at their back-off), measured after the work (and after the
        // warm-up's background recompilation), is subtracted: the bench's waits are not the pipeline's work.
        var idleCpuPerSecond = await IdleCpuPerSecondAsync();

        // Counts are taken before the checks below, whose own reads must not count as the pipeline's.
        var ownOps = own.Ops.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var proxy = await env.Proxy.CountsAsync();
        var (bridgeStalls, bridgeMax, bridgeTotal) = env.Stalls.Read();
        var (azuriteStalls, azuriteMax, azuriteTotal) = env.Azurite.Stalls;
        var ec2 = emulator.CallCounts().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var sdk = env.Aws.Calls.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var logLines = logs.Lines;
        var logMessages = logs.ByMessage.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        var r = new RunResult { Drained = drained, Name = name, Events = count, Forged = events.Count(e => e.Forged), Noise = o.Noise, LoadBefore = loadBefore, LoadAfter = loadAfter };
        r.Stalls = string.Create(CultureInfo.InvariantCulture,
            $"bridge {bridgeStalls} (max {bridgeMax} ms, sum {bridgeTotal} ms) · proxy {proxy.Stalls} (max {proxy.MaxStallMs} ms, sum {proxy.StalledMs} ms) · Azurite {azuriteStalls} (max {azuriteMax} ms, sum {azuriteTotal} ms{(env.Azurite.StallDetail is { Length: > 0 } d ? ": " + d : "")}); Azurite answers ≥ 1 s {proxy.SlowAnswers} (slowest {proxy.MaxAnswerMs} ms)");
        r.WorkSeconds = Stopwatch.GetElapsedTime(start, lastRecord).TotalSeconds;
        r.AllDoneSeconds = Stopwatch.GetElapsedTime(start, allDone).TotalSeconds;
        r.EventsPerSecond = own.RecordedAt.Count / r.WorkSeconds;
        var independentSeconds = (proxy.LastRequestInsertUnixMs - proxy.FirstTableReadUnixMs) / 1000.0;
        r.EventsPerSecondIndependent = independentSeconds > 0 ? proxy.RequestInserts / independentSeconds : double.NaN;
        var all = answers.Values.SelectMany(a => a).ToList();
        r.Answers = all.GroupBy(a => a.Status == 0 ? "abandoned" : a.Status == 202 ? (a.Processed ? "202 processed" : "202 queued") : a.Status.ToString(CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        r.ClientAttempts = attempts;
        r.Abandoned = abandoned.Values.Sum();
        r.IntakeCallsAtServer = own.IntakeCalls.Values.Sum();
        r.Retried = answers.Values.Count(a => a.Count > 1);
        r.Answered503 = all.Count(a => a.Status == 503);
        // A 503 is false when its enqueue landed: Azurite accepted more changes-queue sends for the event (the proxy's
        // count) than the 202 "queued" answers and abandoned attempts can explain (each delivery sends at most once).
        r.False503 = events.Sum(e =>
        {
            var a = answers[e.EventId];
            var unexplained = proxy.ChangesSendsByEvent.GetValueOrDefault(e.EventId) - a.Count(x => x.Status == 202 && (!x.Processed || x.Copied)) - abandoned.GetValueOrDefault(e.EventId);
            return Math.Max(0, Math.Min(a.Count(x => x.Status == 503), unexplained));
        });
        r.InlineDone = answers.Values.Count(a => a.Any(x => x.Processed));
        r.InlineDoneLate = answers.Values.Count(a => a.Any(x => x.Processed && x.Copied));
        r.Fallbacks = answers.Values.Count(a => a.Any(x => x.Status == 202 && !x.Processed));
        r.FallbackCopiesHandled = own.ChangesHandled.Where(kv => answers.TryGetValue(kv.Key, out var a) && a.Any(x => x.Processed)).Sum(kv => kv.Value);
        var sorted = latencies.Order().ToArray();
        r.IntakeP50Ms = Percentile(sorted, 0.50);
        r.IntakeP99Ms = Percentile(sorted, 0.99);
        r.IntakeMaxMs = sorted.DefaultIfEmpty(0).Max();

        static bool Data(string key) => !StorageOp.IsAdmin(key.Split('|', 2)[^1]) && !StorageOp.IsEmptyReceive(key.Split('|', 2)[^1]);
        static string PathOf(string key) => key.Split('|', 2)[0];
        r.OwnOps = ownOps;
        r.ProxyOps = proxy.Ops;
        r.OwnDataOps = ownOps.Where(kv => Data(kv.Key)).Sum(kv => kv.Value);
        r.IndependentDataOps = proxy.Ops.Where(kv => !StorageOp.IsAdmin(kv.Key) && !StorageOp.IsEmptyReceive(kv.Key)).Sum(kv => kv.Value);
        r.EmptyReceivesPerMinute = ownOps.Where(kv => StorageOp.IsEmptyReceive(kv.Key.Split('|', 2)[^1])).Sum(kv => kv.Value) / (r.AllDoneSeconds / 60);
        r.RevertOpsPerEvent = (double)ownOps.Where(kv => Data(kv.Key) && OwnCounts.IsRevertPath(PathOf(kv.Key))).Sum(kv => kv.Value) / count;
        r.RevertOpsMaxOneEvent = own.RevertOpsByEvent.Values.DefaultIfEmpty(0).Max();
        // The events answered once, reverted inline (no fallback copy, no retry): their count does not depend on timing.
        var inline = events.Where(e => answers[e.EventId].ToArray() is [{ Processed: true, Copied: false }]).Select(e => own.RevertOpsByEvent.GetValueOrDefault(e.EventId)).ToList();
        r.RevertOpsInlinePerEvent = inline.Count == 0 ? double.NaN : inline.Average();
        r.RevertOpsInlineMax = inline.DefaultIfEmpty(0).Max();
        r.WholeOpsPerEvent = (double)r.OwnDataOps / count;
        r.WholeOpsPerEventIndependent = (double)r.IndependentDataOps / count;
        r.PollsPerEvent = (double)ownOps.Where(kv => PathOf(kv.Key) == Paths.Poll && Data(kv.Key)).Sum(kv => kv.Value) / count;
        r.Ec2Calls = ec2;
        r.SdkCalls = sdk;
        r.DescribesPerEvent = (double)ec2.Where(kv => kv.Key.StartsWith("Describe", StringComparison.Ordinal)).Sum(kv => kv.Value) / count;
        r.DescribesPerEventSdk = (double)sdk.Where(kv => kv.Key.StartsWith("Describe", StringComparison.Ordinal)).Sum(kv => kv.Value) / count;
        r.Revokes = ec2.GetValueOrDefault("RevokeSecurityGroupIngress");
        r.WritesPerEvent = (double)ec2.Where(kv => kv.Key.StartsWith("Revoke", StringComparison.Ordinal) || kv.Key.StartsWith("Authorize", StringComparison.Ordinal) || kv.Key.StartsWith("Modify", StringComparison.Ordinal)).Sum(kv => kv.Value) / count;
        r.StsCalls = ec2.Where(kv => kv.Key.StartsWith("AssumeRole", StringComparison.Ordinal)).Sum(kv => kv.Value);
        r.SettleChecksRun = counters.HandledBy(Paths.Settle) - settleBefore;
        r.SettleChecksSent = ownOps.Where(kv => kv.Key.EndsWith("queue send " + QueueNames.Reconcile, StringComparison.Ordinal)).Sum(kv => kv.Value);
        r.IdleCpuMsPerSecond = idleCpuPerSecond;
        r.CpuMsPerEvent = Math.Max(0, cpu.TotalMilliseconds - (idleCpuPerSecond * r.AllDoneSeconds)) / count;
        r.JitInRevertWindow = string.Create(CultureInfo.InvariantCulture, $"{revertJit.Item1} methods, {revertJit.Item2.TotalMilliseconds:F0} ms");
        if (o.HoldEffects)
        {
            r.RevertCpuMsPerEvent = Math.Max(0, revertCpu.TotalMilliseconds - (idleCpuPerSecond * revertSeconds)) / count;
        }
        r.AllocatedKbPerEvent = alloc / 1024.0 / count;
        r.LogLinesPerEvent = (double)logLines / count;
        r.LogLines = logMessages;
        r.Failed = counters.FailedIn(Paths.Intake) + counters.FailedIn(Paths.Revert) + counters.FailedIn(Paths.Effects) + counters.FailedIn(Paths.Settle) - failedBefore;
        r.Poisoned = counters.PoisonedFrom(Paths.Revert) + counters.PoisonedFrom(Paths.Effects) + counters.PoisonedFrom(Paths.Settle) - poisonedBefore;

        // Checks: every event stored with the right status, every reverted rule gone.
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        // The bench's own client for its checks, with the SDK's patient defaults: a starved machine must not end the run here.
        var checks = new TableServiceClient(env.Azurite.ConnectionString);
        await foreach (var row in checks.GetTableClient("Requests" + suffix).QueryAsync<TableEntity>(filter: TableRequestStore.RequestRowsFilter, select: ["RowKey", "Status"]))
        {
            statuses[row.RowKey] = row.GetString("Status") ?? "?";
        }
        r.RowsStored = events.Count(e => statuses.ContainsKey(RequestId.For(e.EventId)));
        r.RowsByStatus = statuses.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        r.WrongStatus = events.Count(e => statuses.GetValueOrDefault(RequestId.For(e.EventId)) != (e.Forged ? "Unmatched" : "Pending"));
        r.RulesStillPresent = await workload.RulesStillPresentAsync(events);

        if (o.Baseline)
        {
            // The bare run sends as many nudges as the intake did (the bridge coalesces them; bare must not do more work).
            var nudges = ownOps.Where(kv => kv.Key == Paths.Intake + "|queue send " + QueueNames.Effects).Sum(kv => kv.Value);
            var bare = await Bare.RunAsync(env, bridge, workload, suffix, count, (double)nudges / count);
            r.BareCpuMsPerEvent = Math.Max(0, bare.CpuMs - (idleCpuPerSecond * bare.Seconds)) / count;
            r.BareAllocatedKbPerEvent = bare.AllocatedKbPerEvent;
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{name}] {r.EventsPerSecond:F1} ev/s (independent {r.EventsPerSecondIndependent:F1}), work {r.WorkSeconds:F2} s, all done {r.AllDoneSeconds:F1} s; 503 {r.Answered503} (false {r.False503}), abandoned {r.Abandoned}, fallbacks {r.Fallbacks}; ops/event revert {r.RevertOpsPerEvent:F2} whole {r.WholeOpsPerEvent:F2} (independent {r.WholeOpsPerEventIndependent:F2}); describes/event {r.DescribesPerEvent:F2}; CPU {r.CpuMsPerEvent:F2} ms/event (intake and revert path {r.RevertCpuMsPerEvent:F2}) vs bare {r.BareCpuMsPerEvent:F2}; load {loadAfter}; JIT until recorded: {r.JitInRevertWindow}; stalls: {r.Stalls}"));
        return r;
    }

    private static HttpRequestMessage Post(LocalBridge bridge, byte[] body, string eventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, bridge.AwsEventsUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("x-functions-key", bridge.FunctionKey);
        request.Headers.TryAddWithoutValidation("User-Agent", "Amazon/EventBridge/ApiDestinations");
        request.Headers.TryAddWithoutValidation(InvocationObserver.EventHeader, eventId);
        return request;
    }

    /// <summary>As StorageClients bounds the bridge's storage calls (a try's deadline, a few quick retries).</summary>
    public static void Bound(RetryOptions retry, TimeSpan networkTimeout, int maxRetries)
    {
        retry.Mode = RetryMode.Exponential;
        retry.NetworkTimeout = networkTimeout;
        retry.MaxRetries = maxRetries;
        retry.Delay = TimeSpan.FromMilliseconds(100);
        retry.MaxDelay = TimeSpan.FromSeconds(1);
    }

    private static async Task WaitIdleAsync(LocalBridge bridge)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!await bridge.IsIdleAsync())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("The local host's queues did not drain.");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// Until the runtime has compiled nothing for 2 s (at most 60 s): the warm-up's calls promote the path's methods to
    /// optimised code in the background, which a host that has been running has long finished.
    /// </summary>
    internal static async Task WaitJitQuietAsync()
    {
        var until = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        var (count, quiet) = (System.Runtime.JitInfo.GetCompiledMethodCount(), 0);
        while (quiet < 2 && Stopwatch.GetTimestamp() < until)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            (quiet, count) = (now == count ? quiet + 1 : 0, now);
        }
    }

    /// <summary>CPU ms per second of this process while the host is up and idle (its listeners polling at their back-off): the least of three 2 s windows.</summary>
    private static async Task<double> IdleCpuPerSecondAsync()
    {
        var rates = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(2));
            rates.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        Console.Error.WriteLine("  idle host CPU ms/s: " + string.Join(", ", rates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture))));
        return rates.Min();
    }

    /// <summary>The queues the pipeline sends to, and the function that handles each.</summary>
    private static readonly (string Queue, string Function)[] Handlers =
        [(QueueNames.Changes, Paths.Revert), (QueueNames.Effects, Paths.Effects), (QueueNames.Reconcile, Paths.Settle)];

    /// <summary>Until every message the window's work sent has been handled (or poisoned), as the bench's and the host's counters say.</summary>
    private static async Task<bool> WaitHandledAsync(OwnCounts own, LocalCounters counters, long deadline)
    {
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // A fallback copy the intake withdrew (its inline work finished before the deadline) is never handled.
            var pending = Handlers.Any(h => own.Ops.Where(kv => kv.Key.EndsWith("|queue send " + h.Queue, StringComparison.Ordinal)).Sum(kv => kv.Value)
                - own.Ops.GetValueOrDefault(Paths.Intake + "|queue delete " + h.Queue)
                > counters.HandledBy(h.Function) + counters.PoisonedFrom(h.Function) - own.HandledAtReset[h.Queue]);
            if (!pending)
            {
                return true;
            }
            await Task.Delay(100);
        }
        Console.Error.WriteLine($"  not drained within {DrainTimeout}: the figures cover what was done by then. Per queue, sent − withdrawn vs handled + poisoned: " +
            string.Join(", ", Handlers.Select(h => $"{h.Queue} {own.Ops.Where(kv => kv.Key.EndsWith("|queue send " + h.Queue, StringComparison.Ordinal)).Sum(kv => kv.Value) - own.Ops.GetValueOrDefault(Paths.Intake + "|queue delete " + h.Queue)} vs {counters.HandledBy(h.Function) + counters.PoisonedFrom(h.Function) - own.HandledAtReset[h.Queue]}")));
        return false;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

/// <summary>
/// The same calls bare: per event, the approved-state read, DescribeSecurityGroupRules, the revoke by rule id, the
/// request insert and a queue send, made with the SDKs (through the same proxy, to the same emulator and Azurite), at the
/// intake's concurrency; no parsing, no domain objects, no DI, no logging. Its CPU per event is what the pipeline's is
/// compared with.
/// </summary>
public static class Bare
{
    public sealed record Result(double CpuMs, double AllocatedKbPerEvent, double Seconds);

    /// <summary>
    /// The same calls without the bridge: the same body POSTed by the same client to a minimal Kestrel endpoint that
    /// parses nothing and makes the revert path's calls (the group lease's insert, the group read, the describe, the
    /// revoke, the request row with its index row in one transaction, the lease's delete, and the nudge for as many
    /// events as the run's intake sent one, <paramref name="nudgesPerEvent"/>), then answers 202.
    /// </summary>
    public static async Task<Result> RunAsync(BenchEnv env, LocalBridge bridge, Workload workload, string suffix, int count, double nudgesPerEvent)
    {
        // Through the same proxy, with the SDK's patient defaults: bare calls measure CPU, and a starved Azurite (the
        // loaded profile) must slow them, not end the run.
        var tables = new TableServiceClient(env.Proxy.ConnectionString);
        Console.Error.WriteLine($"  bare: the same calls for {count} events…");
        var warmup = Math.Min(50, count);
        var events = await workload.NewEventsAsync(warmup + count);
        var byId = events.ToDictionary(e => e.EventId, StringComparer.Ordinal);
        var bodies = events.Select(e => Workload.EnvelopeFor(env.Template, e)).ToArray();
        var requests = tables.GetTableClient("BareRequests" + suffix);
        var groups = tables.GetTableClient("Groups" + suffix);
        await requests.CreateIfNotExistsAsync();
        var queue = new QueueClient(env.Proxy.ConnectionString, "sgbridge-bare-" + suffix.ToLowerInvariant(), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        using var sts = Workload.StsClient(bridge.AwsEndpoint!);
        var clients = new Dictionary<string, IAmazonEC2>(StringComparer.Ordinal);
        foreach (var account in events.Select(e => e.Account).Distinct())
        {
            clients[account] = await Workload.Ec2ClientAsync(sts, bridge.AwsEndpoint!, account);
        }
        var template = new string('x', 1200);
        var nudges = (int)Math.Round(nudgesPerEvent * (warmup + count));
        var sent = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = ChildProcess.FreePort();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        await using var app = builder.Build();
        app.MapPost("/bare", async context =>
        {
            var ct = context.RequestAborted;
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, ct);
            var e = byId[context.Request.Headers[InvocationObserver.EventHeader].ToString()];
            var ec2 = clients[e.Account];
            var partition = $"{e.Account}-{Workload.Region}";
            // A lease row of the event's own: bare events on one group never wait for each other.
            var lease = await groups.AddEntityAsync(new TableEntity(partition, e.GroupId + "|lease|" + e.EventId) { ["Owner"] = e.EventId, ["ExpiresAt"] = DateTimeOffset.UtcNow.AddMinutes(1) }, ct);
            await groups.GetEntityIfExistsAsync<TableEntity>(partition, e.GroupId, cancellationToken: ct);
            await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [e.GroupId])], MaxResults = 1000 }, ct);
            await ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = e.GroupId, SecurityGroupRuleIds = [e.RuleId] }, ct);
            var id = RequestId.For(e.EventId);
            await requests.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(id, "request") { ["Status"] = "Pending", ["Json"] = template }),
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(id, "index") { ["Due"] = DateTimeOffset.UtcNow }),
            ], ct);
            await groups.DeleteEntityAsync(partition, e.GroupId + "|lease|" + e.EventId, lease.Headers.ETag!.Value, ct);
            if (Interlocked.Increment(ref sent) <= nudges)
            {
                await queue.SendMessageAsync("{\"requestId\":\"" + id + "\"}", ct);
            }
            context.Response.StatusCode = 202;
            await context.Response.WriteAsync("{\"status\":\"done\"}", ct);
        });
        await app.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = env.IntakeConcurrency * 2 }) { Timeout = Timeout.InfiniteTimeSpan };
        var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/bare");
        async Task SendAsync(int i, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bodies[i]) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
            request.Headers.TryAddWithoutValidation(InvocationObserver.EventHeader, events[i].EventId);
            using var response = await http.SendAsync(request, ct);
            _ = await response.Content.ReadAsStringAsync(ct);
            response.EnsureSuccessStatusCode();
        }
        // Warmed as the pipeline is (its first events untimed, then a quiet spell of the compiler), so neither side pays
        // the runtime's compiling inside its window.
        await Parallel.ForEachAsync(Enumerable.Range(0, warmup), new ParallelOptions { MaxDegreeOfParallelism = env.IntakeConcurrency }, async (i, ct) => await SendAsync(i, ct));
        await LocalRun.WaitJitQuietAsync();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocBefore = GC.GetTotalAllocatedBytes(precise: false);
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(warmup, count), new ParallelOptions { MaxDegreeOfParallelism = env.IntakeConcurrency }, async (i, ct) => await SendAsync(i, ct));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var alloc = GC.GetTotalAllocatedBytes(precise: false) - allocBefore;
        await app.StopAsync();
        foreach (var c in clients.Values)
        {
            c.Dispose();
        }
        await queue.DeleteAsync();
        await requests.DeleteAsync();
        return new Result(cpu.TotalMilliseconds, alloc / 1024.0 / count, seconds);
    }
}
