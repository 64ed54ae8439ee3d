using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SgBridge.Bench;

public sealed record Percentiles(int Count, double P50, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return new Percentiles(0, double.NaN, double.NaN, double.NaN);
        }
        // Nearest rank.
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.99), sorted[^1]);
    }
}

public sealed record MinMaxMean(double Min, double Max, double Mean);

public sealed record CallSummary(long Count, double MeanMs);

public sealed record BaselineResult(string Kind, double Seconds, double EventsPerSecond, Dictionary<string, CallSummary> AwsHttpCalls);

public sealed class ScenarioResult
{
    public string Name { get; set; } = "";
    public int Events { get; set; }
    public string Aws { get; set; } = "";
    public Dictionary<string, int> IntakeStatuses { get; set; } = [];
    public Percentiles IntakeAckMs { get; set; } = Percentiles.Of([]);
    public Percentiles EventToRevertMs { get; set; } = Percentiles.Of([]);
    public Percentiles QueueWaitMs { get; set; } = Percentiles.Of([]);
    public Percentiles DequeueToRevertMs { get; set; } = Percentiles.Of([]);
    public double IntakeSeconds { get; set; }
    public double IntakeEventsPerSecond { get; set; }
    public double PipelineSeconds { get; set; }
    public double AllDoneSeconds { get; set; }
    public double EventsPerSecond { get; set; }
    public int RowsStored { get; set; }
    /// <summary>moto only: the events' rules still in their groups after the run (0 = every revert really revoked).</summary>
    public int RulesStillPresent { get; set; }
    public Dictionary<string, int> RowsByStatus { get; set; } = [];
    public Dictionary<string, long> StsPerAccount { get; set; } = [];
    public MinMaxMean Ec2WritesPerEvent { get; set; } = new(0, 0, 0);
    public double TableOpsPerEvent { get; set; }
    public double QueueOpsPerEvent { get; set; }
    public int SlackStubRequests { get; set; }
    public double SlackCallsPerRequest { get; set; }

    /// <summary>chat.postMessage calls per request: the method Slack limits to about one a second per channel.</summary>
    public double SlackPostsPerRequest { get; set; }
    public long AllocatedBytesPerEvent { get; set; }
    public double PeakWorkingSetMb { get; set; }
    public int Gen0Collections { get; set; }
    public int Gen2Collections { get; set; }
    public BaselineResult? Baseline { get; set; }
    public BaselineResult? BaselineSameCalls { get; set; }
    public double? OverheadRatio { get; set; }
    public double? OverheadRatioSameCalls { get; set; }
    public Dictionary<string, CallSummary> AwsHttpCalls { get; set; } = [];
    public Dictionary<string, CallSummary> Ec2Client { get; set; } = [];
    public Dictionary<string, CallSummary> StorageCalls { get; set; } = [];
    public Dictionary<string, CallSummary> SlackCalls { get; set; } = [];
    public Dictionary<string, long> Failed { get; set; } = [];
    public Dictionary<string, long> Poisoned { get; set; } = [];
    public List<string> ErrorSamples { get; set; } = [];

    [JsonIgnore]
    public bool IsApprovals => Name.StartsWith("approvals", StringComparison.Ordinal);
}

public sealed class RunReport
{
    public string Date { get; set; } = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    public string Machine { get; set; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    public string Command { get; set; } = "";
    public string Aws { get; set; } = "";
    public Dictionary<string, string> Settings { get; set; } = [];
    public List<ScenarioResult> Scenarios { get; set; } = [];
    public List<Target> Targets { get; set; } = [];
    public double? MotoAloneMsPerCall { get; set; }
}

public sealed record Target(string Name, string Goal, string Measured, bool Met);

public static class Report
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static List<Target> Targets(RunReport run)
    {
        var targets = new List<Target>();
        var big = run.Scenarios.Where(s => !s.IsApprovals).OrderByDescending(s => s.Events).FirstOrDefault();
        var events = run.Scenarios.Where(s => !s.IsApprovals).ToList();
        if (big is null)
        {
            return targets;
        }
        var intakeP99 = events.Max(s => s.IntakeAckMs.P99);
        targets.Add(new("intake ack p99 (all event scenarios)", "≤ 50 ms", $"{intakeP99:F1} ms", intakeP99 <= 50));
        targets.Add(new($"event→revert p99 at {big.Events}", "≤ 500 ms", $"{big.EventToRevertMs.P99:F0} ms", big.EventToRevertMs.P99 <= 500));
        targets.Add(new($"sustained events/s at {big.Events}", "≥ 300/s", $"{big.EventsPerSecond:F0}/s", big.EventsPerSecond >= 300));
        if (big.OverheadRatio is { } ratio)
        {
            targets.Add(new($"overhead ratio at {big.Events} (vs unavoidable calls)", "≤ 1.2", $"{ratio:F2}", ratio <= 1.2));
        }
        var sts = run.Scenarios.SelectMany(s => s.StsPerAccount.Values).DefaultIfEmpty(0).Max();
        targets.Add(new("STS calls per account (max over accounts and scenarios)", "≤ 1", sts.ToString(CultureInfo.InvariantCulture), sts <= 1));
        var writesExact = events.All(s => s.Ec2WritesPerEvent is { Min: 1, Max: 1 });
        targets.Add(new("EC2 writes per event (every event, every scenario)", "exactly 1",
            string.Join(", ", events.Select(s => $"{s.Ec2WritesPerEvent.Min:F0}–{s.Ec2WritesPerEvent.Max:F0}")), writesExact));
        var none = events.All(s => s.RowsStored == s.Events);
        targets.Add(new("every event stored (rows = events)", "none lost", string.Join(", ", events.Select(s => $"{s.RowsStored}/{s.Events}")), none));
        return targets;
    }

    public static string Markdown(RunReport run)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"# SgBridge pipeline bench — {run.Date}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Machine: {run.Machine}. AWS side: **{run.Aws}**. Command: `{run.Command}`");
        sb.AppendLine(inv, $"Settings: {string.Join(", ", run.Settings.Select(kv => $"{kv.Key}={kv.Value}"))}");
        if (run.MotoAloneMsPerCall is { } moto)
        {
            sb.AppendLine(inv, $"moto alone: {moto:F1} ms per EC2 call (sequential DescribeSecurityGroups, SDK → moto).");
        }
        sb.AppendLine();
        var cols = run.Scenarios;
        sb.AppendLine("| metric | " + string.Join(" | ", cols.Select(c => c.Name)) + " |");
        sb.AppendLine("|---|" + string.Concat(cols.Select(_ => "---:|")));
        void Row(string name, Func<ScenarioResult, string> value) => sb.AppendLine("| " + name + " | " + string.Join(" | ", cols.Select(value)) + " |");
        static string F(double v, string f = "F1") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);
        Row("events (approvals: clicks)", c => c.Events.ToString(inv));
        Row("intake / click ack p50 ms", c => F(c.IntakeAckMs.P50));
        Row("intake / click ack p99 ms", c => F(c.IntakeAckMs.P99));
        Row("event→revert (click→apply) p50 ms", c => F(c.EventToRevertMs.P50, "F0"));
        Row("event→revert (click→apply) p99 ms", c => F(c.EventToRevertMs.P99, "F0"));
        Row("· queue wait p50 / p99 ms", c => c.IsApprovals ? "–" : $"{F(c.QueueWaitMs.P50, "F0")} / {F(c.QueueWaitMs.P99, "F0")}");
        Row("· dequeue→revert p50 / p99 ms", c => c.IsApprovals ? "–" : $"{F(c.DequeueToRevertMs.P50, "F0")} / {F(c.DequeueToRevertMs.P99, "F0")}");
        Row("pipeline s (first intake → last revert stored)", c => F(c.PipelineSeconds, "F2"));
        Row("sustained events/s", c => F(c.EventsPerSecond, "F0"));
        Row("all done s (incl. Slack)", c => F(c.AllDoneSeconds, "F2"));
        Row("rows stored / expected", c => $"{c.RowsStored}/{c.Events}");
        Row("rules still in AWS after revert (moto)", c => c.IsApprovals ? "–" : c.RulesStillPresent.ToString(inv));
        Row("STS calls per account (max)", c => c.StsPerAccount.Values.DefaultIfEmpty(0).Max().ToString(inv));
        Row("EC2 writes per event (min–max)", c => $"{c.Ec2WritesPerEvent.Min:F0}–{c.Ec2WritesPerEvent.Max:F0}");
        Row("EC2 HTTP calls per event (all actions)", c => F(c.AwsHttpCalls.Where(kv => !kv.Key.StartsWith("AssumeRole", StringComparison.Ordinal)).Sum(kv => kv.Value.Count) / (double)c.Events));
        Row("Table ops per event", c => F(c.TableOpsPerEvent));
        Row("Queue ops per event (incl. pump)", c => F(c.QueueOpsPerEvent));
        Row("Slack calls per request", c => F(c.SlackCallsPerRequest, "F2"));
        Row("· of which chat.postMessage", c => F(c.SlackPostsPerRequest, "F2"));
        Row("overhead ratio (vs unavoidable calls)", c => c.OverheadRatio is { } r ? F(r, "F2") : "–");
        Row("overhead ratio (vs same calls bare)", c => c.OverheadRatioSameCalls is { } r ? F(r, "F2") : "–");
        Row("bare unavoidable calls s", c => c.Baseline is { } b ? F(b.Seconds, "F2") : "–");
        Row("bare same calls s", c => c.BaselineSameCalls is { } b ? F(b.Seconds, "F2") : "–");
        Row("allocated KB per event", c => F(c.AllocatedBytesPerEvent / 1024.0));
        Row("peak working set MB", c => F(c.PeakWorkingSetMb, "F0"));
        Row("failures / poison", c => $"{c.Failed.Values.Sum()} / {c.Poisoned.Values.Sum()}");
        sb.AppendLine();
        sb.AppendLine("## Targets");
        sb.AppendLine();
        sb.AppendLine("| target | goal | measured | |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var t in run.Targets)
        {
            sb.AppendLine(inv, $"| {t.Name} | {t.Goal} | {t.Measured} | {(t.Met ? "met" : "**missed**")} |");
        }
        sb.AppendLine();
        sb.AppendLine("## Where the time goes (mean latency per call, as the client saw it)");
        foreach (var c in cols)
        {
            sb.AppendLine();
            sb.AppendLine("**" + c.Name + "**: " + string.Join("; ",
                c.AwsHttpCalls.Concat(c.StorageCalls).Concat(c.SlackCalls).Concat(c.Ec2Client)
                    .Select(kv => $"{kv.Key} ×{kv.Value.Count} {kv.Value.MeanMs:F1} ms")));
            if (c.ErrorSamples.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("Errors: " + string.Join(" | ", c.ErrorSamples));
            }
        }
        return sb.ToString();
    }

    public static async Task WriteAsync(RunReport run, string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.md"), Markdown(run));
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.json"), JsonSerializer.Serialize(run, Json));
    }
}
