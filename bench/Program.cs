using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.Runtime.Internal;
using SgBridge.Emulators;

namespace SgBridge.Bench;

/// <summary>The budgets the smoke fails on and every report judges (issue 19: storage ops per event from the bench's own counts).</summary>
public static class Budgets
{
    /// <summary>Revert path (the intake and RevertChange, fallback copies included): storage data ops per event.</summary>
    public const double RevertPath = 5;

    /// <summary>Whole pipeline (every queue's receives, effects, settle checks): storage data ops per event.</summary>
    public const double WholePipeline = 10;

    /// <summary>Inline reverts that ran past their budget and were queued as a fallback, percent of events (issue 24).</summary>
    public const double FallbackPercent = 5;

    /// <summary>The bench's events/s against the independent count at the proxy (issue 24: within 10 %).</summary>
    public const double EventsPerSecondAgreement = 0.10;
}

public sealed partial class BenchOptions
{
    public static readonly string Help = $$"""
        SgBridge bench: the bridge as the local host runs it (Local/LocalBridge: the FunctionApp's functions behind Kestrel,
        host.json's queue semantics, the in-process EC2/STS emulator of Local/Aws), driven through the real intake route
        (POST /api/aws/events with the function key) as EventBridge would, on Azurite behind a counting proxy.

        Usage: dotnet run -c Release --project bench -- [options]

          --smoke                CI run: --events events (every 10th forged), one run; fails (exit 1) unless every event is
                                   stored (Pending, Unmatched for a forged one), every reverted rule is gone, one revoke per
                                   real event and none for a forged one, nothing failed or poisoned, at most one STS call per
                                   account, no false 503, the revert path ≤ {{Budgets.RevertPath}} storage ops per event reverted inline (fallback copies
                                   are a matter of load: reported, not judged) and the whole pipeline ≤ {{Budgets.WholePipeline}} per event, and the bench's storage count agrees with the proxy's (within 2 %).
          --scenario NAME        burst100 | burst1000 | all (both) — default all; also approver-message and micro (see docs/performance.md).
          --events N             smoke: events (default 50).
          --forged-every N       every N-th event claims a rule that is not in the group (smoke: 10; bursts: 0).
          --repeat N             runs of each scenario (default 3); the report prints min / median / max.
          --noise N              N threads spinning in a child process beside the pipeline (the loaded profile; default 0).
          --intake-concurrency N concurrent intake calls (default: httpPerInstanceConcurrency from bicep/modules/functionapp.bicep).
          --settle-delay-s S     Reconcile:SettleDelay for the bridge (default 60, the app's; the smoke: 3), so settle checks run.
          --set KEY=VALUE        an app setting for the bridge (e.g. --set Intake:InlineBudget=00:00:01.5); repeatable.
          --no-baseline          skip the bare run (the same calls made bare) after each run.
          --hold-effects         hold the effects and settle-check triggers until every request is recorded, so the CPU of the
                                 intake and revert path is measured alone (against the same calls bare); then release them.
                                 Slack batches then form after the burst: the whole pipeline's counts are not the live mix's.
          --ec2 emulator         AWS side: the local host's EC2/STS emulator (the only one; "stub" is accepted for it).
          --help                 this text.

        Results: bench/results/latest.md and latest.json (smoke: smoke.md and smoke.json).
        """;

    public string Scenario { get; set; } = "all";
    public int SmokeEvents { get; set; } = 50;
    public int? ForgedEvery { get; set; }
    public int Repeat { get; set; } = 3;
    public int Noise { get; set; }
    public int? IntakeConcurrency { get; set; }
    public int? SettleDelay { get; set; }
    public int SettleDelaySeconds => SettleDelay ?? (Smoke ? 3 : 60);
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);
    public bool Smoke { get; set; }
    public bool Baseline { get; set; } = true;
    public bool HoldEffects { get; set; }
    public bool ShowHelp { get; set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--scenario":
                    o.Scenario = Next();
                    if (o.Scenario is not ("all" or "burst100" or "burst1000"))
                    {
                        throw new ArgumentException($"--scenario: '{o.Scenario}' is not burst100, burst1000 or all.");
                    }
                    break;
                case "--smoke": o.Smoke = true; break;
                case "--events": o.SmokeEvents = Int(); break;
                case "--forged-every": o.ForgedEvery = Int(); break;
                case "--repeat": o.Repeat = Math.Max(1, Int()); break;
                case "--noise": o.Noise = Math.Max(0, Int()); break;
                case "--intake-concurrency": o.IntakeConcurrency = Math.Max(1, Int()); break;
                case "--settle-delay-s": o.SettleDelay = Math.Max(0, Int()); break;
                case "--set":
                    var kv = Next();
                    var eq = kv.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--set: '{kv}' is not KEY=VALUE.");
                    }
                    o.Settings[kv[..eq]] = kv[(eq + 1)..];
                    break;
                case "--no-baseline": o.Baseline = false; break;
                case "--hold-effects": o.HoldEffects = true; break;
                case "--ec2":
                    var ec2 = Next();
                    if (ec2 is not ("emulator" or "stub"))
                    {
                        throw new ArgumentException($"--ec2: '{ec2}' is not supported; the bench runs on the local host's EC2/STS emulator (emulator).");
                    }
                    break;
                case "--help" or "-h": o.ShowHelp = true; break;
                default: throw new ArgumentException($"Unknown option {args[i]}. See --help.");
            }
        }
        return o;
    }

    /// <summary>httpPerInstanceConcurrency's default in the Bicep (the intake's concurrent calls per instance).</summary>
    public static int BicepHttpConcurrency(string repoRoot)
    {
        var bicep = File.ReadAllText(Path.Combine(repoRoot, "bicep", "modules", "functionapp.bicep"));
        var m = HttpConcurrency().Match(bicep);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("bicep/modules/functionapp.bicep declares no 'param httpPerInstanceConcurrency int = N'.");
    }

    [GeneratedRegex(@"param\s+httpPerInstanceConcurrency\s+int\s*=\s*(\d+)")]
    private static partial Regex HttpConcurrency();
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--serve-storage-proxy", var table, var queue])
        {
            return await StorageProxy.RunAsync(table, queue);
        }
        if (args is ["--serve-noise", var threads])
        {
            return Noise.Run(int.Parse(threads, CultureInfo.InvariantCulture));
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

    /// <summary>This executable again, as a child process (the proxy, the noise), with stdin kept open as its lifeline.</summary>
    public static Process StartSelf(IEnumerable<string> arguments)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
    }

    private static async Task<int> RunAsync(BenchOptions options, string[] args)
    {
        var root = RepoRoot();
        var counter = new AwsCallCounter();
        RuntimePipelineCustomizerRegistry.Instance.Register(counter);
        await using var env = new BenchEnv
        {
            Options = options,
            Root = root,
            Aws = counter,
            Template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "authorize-ssh-from-internet.json")))!,
            IntakeConcurrency = options.IntakeConcurrency ?? BenchOptions.BicepHttpConcurrency(root),
        };
        var report = new BenchReport
        {
            Command = "dotnet run -c Release --project bench -- " + string.Join(' ', args),
            Started = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            IntakeConcurrency = env.IntakeConcurrency + (options.IntakeConcurrency is null ? " (bicep httpPerInstanceConcurrency)" : " (--intake-concurrency)"),
            Noise = options.Noise,
            SettleDelaySeconds = options.SettleDelaySeconds,
            Settings = options.Settings.ToDictionary(kv => kv.Key, kv => kv.Value ?? "", StringComparer.OrdinalIgnoreCase),
        };
        var results = Path.Combine(root, "bench", "results");
        var noise = await Noise.StartAsync(options.Noise);
        try
        {
            if (options.Smoke)
            {
                var r = await LocalRun.RunAsync(env, "smoke", options.SmokeEvents, options.ForgedEvery ?? 10);
                report.Runs.Add(r);
                var problems = Smoke.Problems(r);
                Console.Out.WriteLine(report.Markdown());
                await report.WriteAsync(results, "smoke");
                if (problems.Count > 0)
                {
                    Console.Error.WriteLine("SMOKE FAILED: " + string.Join("; ", problems));
                    return 1;
                }
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"SMOKE OK: {r.Events} events ({r.Forged} forged) stored, reverted rules gone, one revoke per real event, no failures, no false 503; revert path {r.RevertOpsInlinePerEvent:F2} per event reverted inline (budget {Budgets.RevertPath}; {r.RevertOpsPerEvent:F2} with {r.Fallbacks} fallback copies) and whole pipeline {r.WholeOpsPerEvent:F2} storage ops per event (independent {r.WholeOpsPerEventIndependent:F2}; budget {Budgets.WholePipeline}), {r.DescribesPerEvent:F2} describes per event, {r.SettleChecksRun} settle check(s) run (load {r.LoadAfter})."));
                return 0;
            }
            var forged = options.ForgedEvery ?? 0;
            foreach (var (name, count) in new[] { ("burst-100", 100), ("burst-1000", 1000) }.Where(s => options.Scenario == "all" || options.Scenario == s.Item1.Replace("-", "", StringComparison.Ordinal)))
            {
                for (var i = 0; i < options.Repeat; i++)
                {
                    report.Runs.Add(await LocalRun.RunAsync(env, name, count, forged));
                    await report.WriteAsync(results, "partial");
                }
            }
            Console.Out.WriteLine(report.Markdown());
            await report.WriteAsync(results, "latest");
            Console.Error.WriteLine($"Wrote {Path.Combine(results, "latest.md")} and latest.json");
            return 0;
        }
        finally
        {
            Noise.Stop(noise);
        }
    }
}

/// <summary>What fails the smoke.</summary>
public static class Smoke
{
    public static List<string> Problems(RunResult r)
    {
        var problems = new List<string>();
        var real = r.Events - r.Forged;
        if (r.RowsStored != r.Events) problems.Add($"stored {r.RowsStored}/{r.Events} requests");
        if (r.WrongStatus > 0) problems.Add($"{r.WrongStatus} request(s) not Pending (real change) / Unmatched (forged): {string.Join(",", r.RowsByStatus.Select(kv => kv.Key + "=" + kv.Value))}");
        if (r.RulesStillPresent > 0) problems.Add($"{r.RulesStillPresent} reverted rule(s) still in their group");
        if (r.Revokes != real) problems.Add($"{r.Revokes} revokes for {real} real events (expected one each, none for a forged one)");
        if (!r.Drained) problems.Add("the pipeline's messages were not all handled within 10 minutes");
        if (r.Failed > 0 || r.Poisoned > 0) problems.Add($"{r.Failed} function failure(s), {r.Poisoned} poisoned message(s)");
        if (r.StsCalls > 10) problems.Add($"{r.StsCalls} STS calls for 10 accounts");
        if (r.False503 > 0) problems.Add($"{r.False503} false 503(s): the enqueue landed");
        // The revert path is judged on the events reverted inline and answered once: a fallback copy (an inline revert
        // that ran past its budget on a loaded machine) adds its queue round trips, a matter of timing the bursts report.
        if (!(r.RevertOpsInlinePerEvent <= Budgets.RevertPath) || r.RevertOpsInlineMax > Budgets.RevertPath) problems.Add(string.Create(CultureInfo.InvariantCulture, $"revert path {r.RevertOpsInlinePerEvent:F2} storage ops per event reverted inline, max {r.RevertOpsInlineMax} (budget {Budgets.RevertPath})"));
        if (r.WholeOpsPerEvent > Budgets.WholePipeline) problems.Add(string.Create(CultureInfo.InvariantCulture, $"whole pipeline {r.WholeOpsPerEvent:F2} storage ops per event (budget {Budgets.WholePipeline})"));
        if (Math.Abs(r.OwnDataOps - r.IndependentDataOps) > Math.Max(2, 0.02 * r.IndependentDataOps)) problems.Add($"the bench counted {r.OwnDataOps} storage data ops, the proxy {r.IndependentDataOps}");
        return problems;
    }
}
