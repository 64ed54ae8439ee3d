using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.EC2.Model;
using Amazon.Runtime.Internal;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Storage;

using SgBridge.Emulators;

namespace SgBridge.Bench;

/// <summary>
/// The smoke's per-event limits: the verdict judges with these and --help prints them, so the two cannot drift.
/// Counted per event (each operation is attributed to the event whose work issued it), exact, no margin.
/// </summary>
public static class SmokeLimits
{
    /// <summary>Inline: approved-state read, request insert, notification send (no re-read: GroupReconciler.ApprovalSettle.cs).</summary>
    public const int InlineStorage = 3;

    /// <summary>Inline: one describe, one write.</summary>
    public const int InlineEc2 = 2;

    /// <summary>Through the queue: the inline three plus the queue's send and delete (and, for a fallback copy, the request read that finds it done).</summary>
    public const int QueuedStorage = 6;

    /// <summary>Through the queue: the loser of a race with a still-revoking inline run describes again (GroupReconciler.Unleased.cs).</summary>
    public const int QueuedEc2 = 3;

    /// <summary>An event delivered again after a 5xx: two queued deliveries, summed.</summary>
    public const int RedeliveredStorage = 12;
}

public sealed class BenchOptions
{
    public static readonly string Help = $$"""
        SgBridge pipeline bench: the real AddSgBridge composition on Azurite (Tables, Queues) and an EC2/STS emulator,
        driven through the intake, a host-like queue pump that follows host.json, and a Slack stub.

        Usage: dotnet run -c Release --project bench -- [options]

          --scenario NAME        all (default) | single | burst100 | burst1000 | idle | coldstart | approvals | micro |
                                   approver-message
                                   all = coldstart, single, burst-100, burst-1000, idle; approvals = a burst, then a signed
                                   approve click per request through the Slack endpoint and the applies; micro =
                                   BenchmarkDotNet on the parser and the Slack message builder (other arguments go to BDN);
                                   approver-message = EC2 calls and time per approvers' message without / with the blast
                                   radius (cache miss, cache hit), on moto only (--messages N, default 200; --instances N
                                   behind the group, default 20).
          --smoke                CI correctness run: --events events (every --forged-every-th forged), one run, no speed
                                   checked; fails (exit 1) unless every event ends in a stored request (Pending for a real
                                   change, Unmatched for a forged one), every reverted rule is gone from its group, forged
                                   events cause no EC2 write, each real one exactly one, one STS call per account at most,
                                   nothing fails or is poisoned, and, counted per event, every event reverted inline made
                                   at most {{SmokeLimits.InlineStorage}} storage data operations and {{SmokeLimits.InlineEc2}} EC2 calls, every event that went through the
                                   queue (queue mode, or an inline run past its budget) at most {{SmokeLimits.QueuedStorage}} and {{SmokeLimits.QueuedEc2}}, and an event
                                   delivered again after a 5xx at most {{SmokeLimits.RedeliveredStorage}} storage operations over its deliveries (the changes
                                   queue's receives are polls shared by a batch: printed apart, not judged). A 5xx answer is
                                   delivered again after its Retry-After, as EventBridge does (here: up to 3 times). The
                                   whole pipeline's storage ops per event (target ≤ 10) is reported met/missed, not judged.
          --intake inline|queue|both
                                 how the intake hands a change on (Intake:RevertInline): inline (default, the app's
                                   default) reverts in the intake call within Intake:InlineBudget, the queue only as the
                                   fallback; queue always enqueues and the host-like pump runs the revert; both runs every
                                   scenario once per mode (names get -inline / -queue). The smoke uses the first mode.
          --inline-budget-ms N   Intake:InlineBudget for the bridge, and Intake:EnqueueTimeout = 4000 − N ms (default: the
                                   app's, 1500 + 2500 ms; the smoke: 3000 + 1000 ms, so that a loaded CI machine does not
                                   push inline reverts past their budget into the fallback, whose extra hop the smoke's
                                   per-event counts would then include).
          --events N             smoke: number of events (default 50).
          --forged-every N       every N-th event claims a rule that is not in the group (default 10 in the smoke, 0 else).
          --repeat N             runs of each scenario (default 3); cells print min / median / max.
          --ec2 auto|stub|moto   AWS side: moto_server 5.2.1 if found (auto) or required (moto); stub = the bench's own
                                   stateful EC2/STS (groups and rules per account) in a child process.
          --aws-delay-ms N       stub only: delay added to each EC2/STS answer (default 5 ms).
          --intake-concurrency N concurrent intake calls, as EventBridge's parallel deliveries (default 32).
          --max-polling-ms N     override host.json's queues.maxPollingInterval (to compare back-off floors).
          --idle-events N        idle: events sent one at a time (default 6).
          --idle-spacing-s S     idle: quiet time before each of them (default 5 s, > maxPollingInterval).
          --approvals N          approvals: requests to approve (default 100).
          --no-baseline          skip the "same calls bare" run after each burst.
          --slack-batch-window-s S  Slack:BatchWindow for the bridge (unset: the app's default).
          --slack on|off|both    on (default): the notifications queue is pumped (Slack messages, notification storage
                                   work). off: it is not, so no Slack call and no notification storage work competes with
                                   the reverts; the revert's own notification send stays (it is part of the revert), and
                                   the storage-ops targets are judged on "on" runs only. both: every scenario runs in both
                                   modes back to back (names get -slack-on / -slack-off; the first of each pair alternates
                                   per repeat) and the report prints event→reverted p99 on ÷ off per pair (min / median /
                                   max over --repeat, with the loads) and judges it against ≤ 1.1 (worst pair). The
                                   smoke always runs with Slack on.
          --help                 this text.

        Every other queue setting (batchSize, newBatchThreshold, visibilityTimeout, maxDequeueCount, maxPollingInterval)
        comes from the repository's host.json. Results: bench/results/latest.md and latest.json (smoke: smoke.md/json).
        """;

    public string Scenario { get; set; } = "all";
    public string Ec2 { get; set; } = "auto";
    public int AwsDelayMs { get; set; } = 5;
    public int IntakeConcurrency { get; set; } = 32;
    public int Approvals { get; set; } = 100;
    public int SmokeEvents { get; set; } = 50;
    public int? ForgedEvery { get; set; }
    public int Repeat { get; set; } = 3;
    public int IdleEvents { get; set; } = 6;
    public TimeSpan IdleSpacing { get; set; } = TimeSpan.FromSeconds(5);
    public bool Smoke { get; set; }
    public bool Baseline { get; set; } = true;
    public bool ShowHelp { get; set; }
    public TimeSpan? MaxPollingInterval { get; set; }

    /// <summary>The intake modes to run (true = revert inline): --intake inline | queue | both.</summary>
    public IReadOnlyList<bool> IntakeModes { get; set; } = [true];

    public int? InlineBudgetMs { get; set; }

    /// <summary>The Slack modes to run (true = the notifications queue is pumped): --slack on | off | both.</summary>
    public IReadOnlyList<bool> SlackModes { get; set; } = [true];

    /// <summary>Slack:BatchWindow for the bridge under test; zero turns batching off (one message per change).</summary>
    public TimeSpan? SlackBatchWindow { get; set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--scenario": o.Scenario = Next(); break;
                case "--ec2": o.Ec2 = Next(); break;
                case "--aws-delay-ms": o.AwsDelayMs = Int(); break;
                case "--intake-concurrency": o.IntakeConcurrency = Int(); break;
                case "--approvals": o.Approvals = Int(); break;
                case "--smoke": o.Smoke = true; break;
                case "--events": o.SmokeEvents = Int(); break;
                case "--forged-every": o.ForgedEvery = Int(); break;
                case "--repeat": o.Repeat = Math.Max(1, Int()); break;
                case "--idle-events": o.IdleEvents = Int(); break;
                case "--idle-spacing-s": o.IdleSpacing = TimeSpan.FromSeconds(Int()); break;
                case "--no-baseline": o.Baseline = false; break;
                case "--max-polling-ms": o.MaxPollingInterval = TimeSpan.FromMilliseconds(Int()); break;
                case "--slack-batch-window-s": o.SlackBatchWindow = TimeSpan.FromSeconds(Int()); break;
                case "--intake":
                    o.IntakeModes = Next() switch
                    {
                        "inline" => [true],
                        "queue" => [false],
                        "both" => [true, false],
                        var other => throw new ArgumentException($"--intake: '{other}' is not inline, queue or both."),
                    };
                    break;
                case "--slack":
                    o.SlackModes = Next() switch
                    {
                        "on" => [true],
                        "off" => [false],
                        "both" => [true, false],
                        var other => throw new ArgumentException($"--slack: '{other}' is not on, off or both."),
                    };
                    break;
                case "--inline-budget-ms": o.InlineBudgetMs = Int(); break;
                case "--help" or "-h": o.ShowHelp = true; break;
                default: throw new ArgumentException($"Unknown option {args[i]}. See --help.");
            }
        }
        return o;
    }
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--serve-stubs")
        {
            return await StubServer.RunAsync(BenchOptions.Parse(args[1..]).AwsDelayMs);
        }
        if (args.Length > 0 && args[0] == "--cold-start-child")
        {
            return await ColdStartChildAsync(args[1..]);
        }
        var scenarioIndex = Array.IndexOf(args, "--scenario");
        if (scenarioIndex >= 0 && scenarioIndex + 1 < args.Length && args[scenarioIndex + 1] == "approver-message")
        {
            return await ApproverMessageCost.RunAsync(args);
        }
        if (scenarioIndex >= 0 && scenarioIndex + 1 < args.Length && args[scenarioIndex + 1] == "micro")
        {
            return Micro.Run(args.Where((_, i) => i != scenarioIndex && i != scenarioIndex + 1).ToArray());
        }
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
        if (options.ShowHelp)
        {
            Console.Out.WriteLine(BenchOptions.Help);
            return 0;
        }
        return await RunAsync(options, args);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SgBridge.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No SgBridge.sln above {AppContext.BaseDirectory}.");
    }

    private static HostQueueSettings HostSettings(BenchOptions options)
    {
        var host = HostQueueSettings.Load(Path.Combine(RepoRoot(), "host.json"));
        return options.MaxPollingInterval is { } poll ? host with { MaxPollingInterval = poll } : host;
    }

    private static async Task<int> RunAsync(BenchOptions options, string[] args)
    {
        var root = RepoRoot();
        var host = HostSettings(options);
        var motoCommand = options.Ec2 == "stub" ? null : Moto.FindCommand();
        if (options.Ec2 == "moto" && motoCommand is null)
        {
            Console.Error.WriteLine("--ec2 moto: moto_server not found (pip install 'moto[server]==5.2.1').");
            return 2;
        }
        var useMoto = motoCommand is not null;
        var counter = new AwsCallCounter();
        RuntimePipelineCustomizerRegistry.Instance.Register(counter);

        Console.Error.WriteLine("Starting Azurite, stubs" + (useMoto ? " and moto…" : "…"));
        var azuriteTask = Azurite.StartAsync(root);
        var stubsTask = StubProcess.StartAsync(options.AwsDelayMs);
        var motoTask = useMoto ? Moto.StartAsync(motoCommand!.Value) : Task.FromResult<Moto?>(null)!;
        await using var azurite = await azuriteTask;
        await using var stubs = await stubsTask;
        await using var moto = await motoTask;
        var awsUrl = moto?.Url ?? stubs.AwsUrl;
        var awsMode = useMoto ? "moto 5.2.1 (moto_server)" : $"stub EC2/STS (stateful, Kestrel, {options.AwsDelayMs} ms per call)";
        var workload = new Workload(awsUrl, accounts: 10, groupsPerAccount: 10);
        await workload.CreateGroupsAsync();
        var ctx = new BenchContext
        {
            Options = options,
            StorageConnectionString = azurite.ConnectionString,
            AwsUrl = awsUrl,
            SlackUrl = stubs.SlackUrl,
            AwsMode = awsMode,
            Stubs = stubs,
            Workload = workload,
            Host = host,
            Aws = counter,
            Template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "authorize-ssh-from-internet.json")))!,
        };

        var run = new RunReport
        {
            Command = "dotnet run -c Release --project bench -- " + string.Join(' ', args),
            Aws = awsMode,
            Settings = new()
            {
                ["batchSize"] = host.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["newBatchThreshold"] = host.NewBatchThreshold.ToString(CultureInfo.InvariantCulture),
                ["maxPollingInterval"] = host.MaxPollingInterval.ToString(),
                ["visibilityTimeout"] = host.VisibilityTimeout.ToString(),
                ["maxDequeueCount"] = host.MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
                ["listeners per queue"] = "1 (one instance)",
                ["intake concurrency"] = options.IntakeConcurrency.ToString(CultureInfo.InvariantCulture),
                ["accounts×groups"] = "10×10",
                ["logging"] = "host.json levels (Information; Microsoft, Azure.Core Warning), formatted and dropped",
                ["slack"] = string.Join(" and ", options.SlackModes.Select(on => on ? "on" : "off")),
            },
        };

        run.Settings["intake"] = string.Join(" and ", options.IntakeModes.Select(Mode)) + (options.InlineBudgetMs is { } b ? $" (Intake:InlineBudget {b} ms)" : " (Intake:InlineBudget: the app's default)");
        if (options.Smoke)
        {
            ctx.Inline = options.IntakeModes[0];
            options.InlineBudgetMs ??= 3000;
            run.Settings["intake"] = $"{Mode(ctx.Inline)} (Intake:InlineBudget {options.InlineBudgetMs} ms)";
            var (smoke, _, _) = await Scenarios.RunEventsAsync(ctx, "smoke", options.SmokeEvents, forgedEvery: options.ForgedEvery ?? 10);
            run.Scenarios.Add(smoke);
            return await SmokeVerdictAsync(run, smoke, root, ctx.Inline);
        }

        if (useMoto)
        {
            run.MotoAloneMsPerCall = await MotoAloneAsync(workload);
        }
        var s = options.Scenario;
        var forged = options.ForgedEvery ?? 0;
        var results = Path.Combine(root, "bench", "results");
        if (s is "all" or "coldstart")
        {
            run.ColdStart = await ColdStartAsync(ctx);
        }
        ctx.SlackOn = options.SlackModes[0];
        foreach (var inline in options.IntakeModes)
        {
            ctx.Inline = inline;
            await RunModeAsync(ctx, run, results, forged, options.IntakeModes.Count > 1 ? "-" + Mode(inline) : "");
        }
        if (s is "approvals")
        {
            var (burst, pipeline, events) = await Scenarios.RunEventsAsync(ctx, "burst-" + options.Approvals, options.Approvals, keepPipeline: true);
            run.Scenarios.Add(burst);
            run.Scenarios.Add(await Scenarios.RunApprovalsAsync(ctx, pipeline, events.Take(options.Approvals).ToList()));
            await pipeline.DisposeAsync();
        }
        run.Targets = Report.Targets(run);
        Console.Out.WriteLine(Report.Markdown(run));
        await Report.WriteAsync(run, Path.Combine(root, "bench", "results"));
        Console.Error.WriteLine($"Wrote {Path.Combine(root, "bench", "results", "latest.md")} and latest.json");
        return 0;
    }

    private static string Mode(bool inline) => inline ? "inline" : "queue";

    private static async Task RunModeAsync(BenchContext ctx, RunReport run, string results, int forged, string suffix)
    {
        var s = ctx.Options.Scenario;
        if (s is "all" or "single")
        {
            // Events warm the JIT and the connection pools first, as a running host would be; then the measured one.
            await Scenarios.RunEventsAsync(ctx, "warmup" + suffix, 20);
            await RepeatAsync(ctx, run, results, "single" + suffix, name => Scenarios.RunEventsAsync(ctx, name, 1));
        }
        if (s is "all" or "burst100")
        {
            await RepeatAsync(ctx, run, results, "burst-100" + suffix, name => Scenarios.RunEventsAsync(ctx, name, 100, forgedEvery: forged));
        }
        if (s is "all" or "burst1000")
        {
            await RepeatAsync(ctx, run, results, "burst-1000" + suffix, name => Scenarios.RunEventsAsync(ctx, name, 1000, forgedEvery: forged));
        }
        if (s is "all" or "idle")
        {
            await RepeatAsync(ctx, run, results, "idle" + suffix, name => Scenarios.RunEventsAsync(ctx, name, ctx.Options.IdleEvents, spacing: ctx.Options.IdleSpacing));
        }
        ctx.SlackOn = true;
    }

    /// <summary>
    /// --repeat runs of one scenario; with --slack both, each repeat is a pair of runs back to back, Slack on and off,
    /// the first of the pair alternating (on, off / off, on / …) so that a machine getting busier does not favour one mode.
    /// </summary>
    private static async Task RepeatAsync(BenchContext ctx, RunReport run, string results, string name,
        Func<string, Task<(ScenarioResult Result, Pipeline Pipeline, IReadOnlyList<EventSpec> Events)>> scenario)
    {
        var modes = ctx.Options.SlackModes;
        for (var i = 0; i < ctx.Options.Repeat; i++)
        {
            IEnumerable<bool> order = modes.Count > 1 && i % 2 == 1 ? modes.Reverse() : modes;
            foreach (var on in order)
            {
                ctx.SlackOn = on;
                run.Scenarios.Add((await scenario(modes.Count > 1 ? name + (on ? "-slack-on" : "-slack-off") : name)).Result);
                await Report.WriteAsync(run, results, "partial");
            }
        }
    }

    /// <summary>Correctness only (no speed checked); prints the same per-event counters as every scenario.</summary>
    private static async Task<int> SmokeVerdictAsync(RunReport run, ScenarioResult r, string root, bool inline)
    {
        var problems = new List<string>();
        // Counted per event (each operation is attributed to the event whose work issued it), so the limits are exact, no
        // margin: an event reverted inline makes ≤ 3 storage data operations (approved-state read, request insert,
        // notification send: no re-read since the approval side settles the race, GroupReconciler.ApprovalSettle.cs) and
        // ≤ 2 EC2 calls. One that went through the queue (queue mode, or an inline run past its budget on a loaded
        // machine) adds the queue's send and delete (and, for a fallback copy, the request read that finds it done): ≤ 6.
        // The changes queue's receives are polls, shared by a batch, printed apart.
        if (r.InlineDone > 0 && (r.InlineMaxStorage > SmokeLimits.InlineStorage || r.InlineMaxEc2 > SmokeLimits.InlineEc2)) problems.Add($"an event reverted inline made {r.InlineMaxStorage} storage ops / {r.InlineMaxEc2} EC2 calls (limits {SmokeLimits.InlineStorage} / {SmokeLimits.InlineEc2})");
        // Through the queue, an inline run past its budget may still be revoking when its copy runs: the loser of that race
        // is told NotFound and describes again to see the rule gone (GroupReconciler.Unleased.cs): 3 EC2 calls, by design.
        if (r.QueuedEvents > 0 && (r.QueuedMaxStorage > SmokeLimits.QueuedStorage || r.QueuedMaxEc2 > SmokeLimits.QueuedEc2)) problems.Add($"an event through the queue made {r.QueuedMaxStorage} storage ops / {r.QueuedMaxEc2} EC2 calls (limits {SmokeLimits.QueuedStorage} / {SmokeLimits.QueuedEc2})");
        if (r.Redelivered > 0 && r.RedeliveredMaxStorage > SmokeLimits.RedeliveredStorage) problems.Add($"an event delivered again made {r.RedeliveredMaxStorage} storage ops over its deliveries (limit {SmokeLimits.RedeliveredStorage}: two queued deliveries)");
        if (inline && r.InlineDone == 0) problems.Add("no event was reverted inline");
        var revertOps = r.StoragePerEvent(inline ? ScenarioResult.RevertWork : ScenarioResult.RevertData);
        var ec2PerEvent = r.Ec2Describes + r.Ec2Writes;
        if (r.IntakeStatuses.GetValueOrDefault("202") != r.Events) problems.Add($"intake accepted {r.IntakeStatuses.GetValueOrDefault("202")}/{r.Events}");
        if (r.RowsStored != r.Events) problems.Add($"stored {r.RowsStored}/{r.Events} requests");
        if (r.WrongStatus > 0) problems.Add($"{r.WrongStatus} request(s) not Pending (real change) / Unmatched (forged): {string.Join(",", r.RowsByStatus.Select(kv => kv.Key + "=" + kv.Value))}");
        if (r.RulesStillPresent > 0) problems.Add($"{r.RulesStillPresent} reverted rule(s) still in their group");
        if (r.Events > r.Forged && r.Ec2WritesPerEvent is not { Min: 1, Max: 1 }) problems.Add($"EC2 writes per real event {r.Ec2WritesPerEvent.Min}–{r.Ec2WritesPerEvent.Max}, expected exactly 1");
        if (r.ForgedWrites > 0) problems.Add($"{r.ForgedWrites} EC2 write(s) for forged events");
        if (r.Poisoned.Values.Sum() > 0 || r.Failed.Values.Sum() > 0) problems.Add($"failures {r.Failed.Values.Sum()}, poison {r.Poisoned.Values.Sum()}: {string.Join(" | ", r.ErrorSamples)}");
        if (r.StsPerAccount.Values.Any(n => n > 1)) problems.Add("more than one STS call for an account");
        run.Targets = Report.Targets(run);
        Console.Out.WriteLine(Report.Markdown(run));
        await Report.WriteAsync(run, Path.Combine(root, "bench", "results"), "smoke");
        if (problems.Count > 0)
        {
            Console.Error.WriteLine("SMOKE FAILED: " + string.Join("; ", problems));
            return 1;
        }
        Console.Error.WriteLine($"SMOKE OK: {r.Events} events ({r.Forged} forged) stored as Pending/Unmatched, reverted rules gone, 1 EC2 write per real event, none for forged, no failures, no poison; revert path {revertOps:F2} storage ops and {ec2PerEvent:F2} EC2 calls per event on average; {r.InlineDone} event(s) reverted inline (max {r.InlineMaxStorage} storage ops, {r.InlineMaxEc2} EC2 calls each), {r.QueuedEvents} through the queue (max {r.QueuedMaxStorage} / {r.QueuedMaxEc2}); {r.Redelivered} 5xx delivered again (max {r.RedeliveredMaxStorage} storage ops over an event's deliveries) ({Mode(inline)}, load {r.LoadAfter}, {r.Aws}).");
        return 0;
    }

    /// <summary>
    /// Process start → first message handled: a change waits on the queue of an onboarded bridge; a fresh process of
    /// this executable builds the bridge (DI graph, options validation), starts the pump and handles it (STS, EC2,
    /// tables, all cold). What it does not include: the Functions host's own start and the worker handshake.
    /// </summary>
    private static async Task<ColdStart> ColdStartAsync(BenchContext ctx)
    {
        Console.Error.WriteLine("[coldstart] onboarding, enqueueing one change, starting a fresh process…");
        await using (var pipeline = Pipeline.Build(ctx, "cold"))
        {
            await pipeline.OnboardAsync(ctx.Workload.Accounts, Workload.Region, CancellationToken.None);
            var events = await ctx.Workload.NewEventsAsync(1);
            var result = await pipeline.Intake.AcceptAsync(Workload.EnvelopeFor(ctx.Template, events[0]), "application/json; charset=utf-8", CancellationToken.None);
            if (result.StatusCode != 202)
            {
                throw new InvalidOperationException($"Cold start: intake answered {result.StatusCode}.");
            }
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(typeof(Program).Assembly.Location);
            }
            foreach (var a in (string[])["--cold-start-child", ctx.StorageConnectionString, ctx.AwsUrl, ctx.SlackUrl, pipeline.Suffix])
            {
                start.ArgumentList.Add(a);
            }
            using var child = Process.Start(start)!;
            var output = await child.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
            var errors = await child.StandardError.ReadToEndAsync();
            await child.WaitForExitAsync();
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("COLD ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"Cold-start child failed ({child.ExitCode}): {output} {errors}");
            var parts = line.Split(' ').Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            Console.Error.WriteLine($"[coldstart] {line}");
            return new ColdStart(parts[0], parts[1], parts[0] + parts[1],
                "A fresh process of this executable (dotnet, Release, tiered JIT), emulators already running; the Functions host's own start is not included.");
        }
    }

    private static async Task<int> ColdStartChildAsync(string[] args)
    {
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var options = new BenchOptions();
        var ctx = new BenchContext
        {
            Options = options,
            StorageConnectionString = args[0],
            AwsUrl = args[1],
            SlackUrl = args[2],
            AwsMode = "",
            Workload = new Workload(args[1], accounts: 10, groupsPerAccount: 10),
            Host = HostSettings(options),
            Aws = new AwsCallCounter(),
            Template = new JsonObject(),
        };
        await using var pipeline = Pipeline.Build(ctx, "cold", args[3]);
        await pipeline.StartPumpAsync(ctx);
        var ready = Stopwatch.GetTimestamp();
        var readyMs = (DateTime.UtcNow - started).TotalMilliseconds;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (Interlocked.Read(ref pipeline.Pump!.FirstHandledAt) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }
        if (pipeline.Pump.FirstHandledAt == 0)
        {
            Console.Error.WriteLine("No message handled within a minute: " + string.Join(" | ", pipeline.Pump.Errors.Take(3)));
            return 1;
        }
        var handledMs = Stopwatch.GetElapsedTime(ready, pipeline.Pump.FirstHandledAt).TotalMilliseconds;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COLD {readyMs:F0} {handledMs:F0}"));
        return 0;
    }

    /// <summary>moto's own time per EC2 call: sequential DescribeSecurityGroups through the SDK, nothing else running.</summary>
    private static async Task<double> MotoAloneAsync(Workload workload)
    {
        var account = workload.Accounts[0];
        var ec2 = workload.SetupClient(account);
        var group = workload.Groups[account][0];
        for (var i = 0; i < 20; i++)
        {
            await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [group] });
        }
        var sw = Stopwatch.StartNew();
        const int n = 200;
        for (var i = 0; i < n; i++)
        {
            await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [group] });
        }
        return sw.Elapsed.TotalMilliseconds / n;
    }
}
