using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SgBridge.Bench;

/// <summary>The runs of one bench invocation, as markdown (min / median / max per scenario) and JSON.</summary>
public sealed class BenchReport
{
    public string Command { get; set; } = "";
    public string Started { get; set; } = "";
    public string IntakeConcurrency { get; set; } = "";
    public int Noise { get; set; }
    public int SettleDelaySeconds { get; set; }
    public Dictionary<string, string> Settings { get; set; } = [];
    public List<RunResult> Runs { get; } = [];

    private static readonly (string Label, Func<RunResult, double> Value, string Format, string Budget, Func<double, bool>? Met)[] Rows =
    [
        ("events/s, bench (first call → last request recorded)", r => r.EventsPerSecond, "F1", "", null),
        ("events/s, independent (proxy: first table read → last request insert)", r => r.EventsPerSecondIndependent, "F1", "", null),
        ("· bench ÷ independent", r => r.EventsPerSecond / r.EventsPerSecondIndependent, "F3", "1 ± 0.10", v => Math.Abs(v - 1) <= Budgets.EventsPerSecondAgreement),
        ("work seconds (first call → last request recorded)", r => r.WorkSeconds, "F2", "", null),
        ("seconds until idle (fallback copies, effects, settle checks)", r => r.AllDoneSeconds, "F1", "", null),
        ("intake answer p50 ms (client)", r => r.IntakeP50Ms, "F0", "", null),
        ("intake answer p99 ms (client)", r => r.IntakeP99Ms, "F0", "≤ 3000", v => v <= 3000),
        ("intake answer max ms (client)", r => r.IntakeMaxMs, "F0", "", null),
        ("client attempts / intake calls at the server", r => r.ClientAttempts, "F0", "", null),
        ("· intake calls the server saw", r => r.IntakeCallsAtServer, "F0", "", null),
        ("· abandoned by the client (no answer in 5 s)", r => r.Abandoned, "F0", "", null),
        ("503 answers", r => r.Answered503, "F0", "", null),
        ("**false 503s** (a 503 whose enqueue landed)", r => r.False503, "F0", "0", v => v == 0),
        ("events reverted inline (202 processed)", r => r.InlineDone, "F0", "", null),
        ("· of which past the inline budget, before the deadline (a fallback copy queued, then withdrawn)", r => r.InlineDoneLate, "F0", "", null),
        ("**fallbacks %** (202 queued after the inline budget)", r => r.FallbackPercent, "F1", "≤ 5", v => v <= Budgets.FallbackPercent),
        ("· fallback copies handled (of events done inline)", r => r.FallbackCopiesHandled, "F0", "", null),
        ("**storage ops / event, revert path** (intake + RevertChange)", r => r.RevertOpsPerEvent, "F2", "≤ 5", v => v <= Budgets.RevertPath),
        ("· max of one event", r => r.RevertOpsMaxOneEvent, "F0", "", null),
        ("· per event reverted inline within its budget, answered once (no fallback copy: independent of timing)", r => r.RevertOpsInlinePerEvent, "F2", "≤ 5", v => v <= Budgets.RevertPath),
        ("· max of one such event", r => r.RevertOpsInlineMax, "F0", "", null),
        ("**storage ops / event, whole pipeline** (bench)", r => r.WholeOpsPerEvent, "F2", "≤ 10", v => v <= Budgets.WholePipeline),
        ("storage ops / event, whole pipeline (independent: proxy)", r => r.WholeOpsPerEventIndependent, "F2", "", null),
        ("· of which queue receives that found messages", r => r.PollsPerEvent, "F2", "", null),
        ("empty queue receives per minute (idle polling, all queues; not counted per event)", r => r.EmptyReceivesPerMinute, "F0", "", null),
        ("**describes / event** (at the emulator)", r => r.DescribesPerEvent, "F2", "", null),
        ("· describes / event (the SDK's count)", r => r.DescribesPerEventSdk, "F2", "", null),
        ("EC2 writes / event (at the emulator)", r => r.WritesPerEvent, "F2", "", null),
        ("settle checks sent / run", r => r.SettleChecksSent, "F0", "", null),
        ("settle checks run", r => r.SettleChecksRun, "F0", "", null),
        ("**CPU ms / event, whole pipeline** (bench process, less the idle host)", r => r.CpuMsPerEvent, "F2", "", null),
        ("· idle host's CPU ms per second (subtracted)", r => r.IdleCpuMsPerSecond, "F1", "", null),
        ("CPU ms / event, the same calls bare", r => r.BareCpuMsPerEvent, "F2", "", null),
        ("· whole pipeline ÷ bare (the bare calls are the revert path's only)", r => r.CpuRatio, "F2", "", null),
        ("**CPU ms / event, intake and revert path** (--hold-effects: effects and settle checks held until every request is recorded)", r => r.RevertCpuMsPerEvent, "F2", "", null),
        ("· **intake and revert path ÷ bare**", r => r.RevertCpuRatio, "F2", "≤ 2", v => v <= 2),
        ("KB allocated / event", r => r.AllocatedKbPerEvent, "F0", "", null),
        ("· bare", r => r.BareAllocatedKbPerEvent, "F0", "", null),
        ("log lines / event (host.json levels)", r => r.LogLinesPerEvent, "F1", "", null),
        ("failures / poisoned (function invocations)", r => r.Failed + r.Poisoned, "F0", "0", v => v == 0),
        ("drained within the bench's 10 min (1 = yes)", r => r.Drained ? 1 : 0, "F0", "1", v => v == 1),
        ("requests stored with the wrong status / rules left", r => r.WrongStatus + r.RulesStillPresent, "F0", "0", v => v == 0),
    ];

    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# SgBridge bench ({Started})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`{Command}`");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Local host (Local/LocalBridge) with the EC2/STS emulator, Azurite behind a counting proxy; intake concurrency {IntakeConcurrency}; noise {Noise} busy thread(s); Reconcile:SettleDelay {SettleDelaySeconds} s; {Environment.ProcessorCount} cores.") +
            (Settings.Count > 0 ? " Settings: " + string.Join(", ", Settings.Select(kv => kv.Key + "=" + kv.Value)) + "." : ""));
        sb.AppendLine();
        var scenarios = Runs.GroupBy(r => r.Name).ToList();
        sb.Append("| figure | budget |");
        foreach (var s in scenarios)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {s.Key} ({s.Count()} run{(s.Count() > 1 ? "s, min / median / max" : "")}) | met |");
        }
        sb.AppendLine();
        sb.Append("|---|---|");
        foreach (var _ in scenarios)
        {
            sb.Append("---|---|");
        }
        sb.AppendLine();
        foreach (var (label, value, format, budget, met) in Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {label} | {budget} |");
            foreach (var s in scenarios)
            {
                var values = s.Select(value).ToList();
                var sorted = values.Order().ToList();
                var cell = sorted.Count == 1 ? F(sorted[0], format) : $"{F(sorted[0], format)} / {F(sorted[sorted.Count / 2], format)} / {F(sorted[^1], format)}";
                var ok = met is null ? "" : values.All(double.IsNaN) ? "n/a" : values.All(met) ? "yes" : "**no**";
                sb.Append(CultureInfo.InvariantCulture, $" {cell} | {ok} |");
            }
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine("Loads (1/5/15 min, before → after): " + string.Join("; ", Runs.Select(r => $"{r.Name} {r.LoadBefore} → {r.LoadAfter}")));
        sb.AppendLine();
        sb.AppendLine("Compiled by the runtime from the first call until every request was recorded, per run: " + string.Join("; ", Runs.Select(r => r.JitInRevertWindow)));
        sb.AppendLine();
        sb.AppendLine("Stalls per run (a process's watch thread woke ≥ 500 ms late; Azurite's answers as the proxy timed them): " + string.Join("; ", Runs.Select(r => $"{r.Name}: {r.Stalls}")));
        sb.AppendLine();
        sb.AppendLine("Intake answers per run: " + string.Join("; ", Runs.Select(r => string.Join(", ", r.Answers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + " " + kv.Value)))));
        sb.AppendLine();
        var last = Runs.LastOrDefault();
        if (last is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Storage ops of the last run ({last.Name}), bench (function|op) and proxy (op):");
            sb.AppendLine();
            sb.AppendLine("| bench: function \\| op | n | | proxy: op | n |");
            sb.AppendLine("|---|---|---|---|---|");
            var own = last.OwnOps.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            var proxy = last.ProxyOps.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            for (var i = 0; i < Math.Max(own.Count, proxy.Count); i++)
            {
                var a = i < own.Count ? $"{own[i].Key.Replace("|", " \\| ", StringComparison.Ordinal)} | {own[i].Value}" : " | ";
                var b = i < proxy.Count ? $"{proxy[i].Key} | {proxy[i].Value}" : " | ";
                sb.AppendLine($"| {a} | | {b} |");
            }
            sb.AppendLine();
            sb.AppendLine("Log lines of the last run, by level, category and event id: " + string.Join(", ", last.LogLines.OrderByDescending(kv => kv.Value).Select(kv => kv.Key + " " + kv.Value)));
            sb.AppendLine();
            sb.AppendLine("EC2/STS calls at the emulator (last run): " + string.Join(", ", last.Ec2Calls.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + " " + kv.Value)));
        }
        return sb.ToString();
    }

    private static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    public async Task WriteAsync(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".md"), Markdown());
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }
}
