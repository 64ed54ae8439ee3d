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

public sealed record BaselineResult(string Kind, double Seconds, double EventsPerSecond, Dictionary<string, CallSummary> AwsHttpCalls,
    Dictionary<string, CallSummary> StorageCalls, Dictionary<string, double> CpuSeconds);

public sealed class ScenarioResult
{
    public string Name { get; set; } = "";

    /// <summary>Events whose revert finished inside the intake call (inline mode), and of them the most revert-path storage
    /// data operations and EC2 calls any one event made (counted per event, so deterministic: 4 and 2 for a real change).</summary>
    public int InlineDone { get; set; }

    public int InlineMaxStorage { get; set; }

    /// <summary>Storage operations of the costliest event delivered more than once (two intake calls): printed, judged loosely.</summary>
    public int RedeliveredMaxStorage { get; set; }

    public int InlineMaxEc2 { get; set; }

    /// <summary>Events that went through the queue (fallback or queue mode), and the most storage ops / EC2 calls one of them made.</summary>
    public int QueuedEvents { get; set; }

    public int QueuedMaxStorage { get; set; }

    public int QueuedMaxEc2 { get; set; }

    /// <summary>Intake answers that were 5xx and were delivered again, as EventBridge does.</summary>
    public int Redelivered { get; set; }

    /// <summary>How the intake handed changes on: inline (Intake:RevertInline, the queue as fallback) or queue.</summary>
    public string Intake { get; set; } = "queue";
    public int Events { get; set; }
    public int Forged { get; set; }
    public string Aws { get; set; } = "";
    /// <summary>"on": the notifications queue was pumped (Slack messages sent); "off": it was not (--slack off).</summary>
    public string Slack { get; set; } = "on";
    /// <summary>Debounced render notifications handled (Slack:BatchRenderDelay after a join).</summary>
    public long RenderNotifications { get; set; }
    /// <summary>Monitoring messages posted: one per batch shown (every render shows the monitoring message).</summary>
    public int MonitoringPosts { get; set; }
    /// <summary>
    /// Renders per batch: a render ends in one conditional write of the batch's thread row outside a transaction (joins
    /// write it inside one), so renders = successful <c>replace Slack thread</c> calls; batches = monitoring messages
    /// posted (the Slack stub answers every post with the same channel, so updates cannot be told apart by channel).
    /// </summary>
    [JsonIgnore]
    public double RendersPerBatch => MonitoringPosts == 0 ? double.NaN
        : (double)StorageCalls.Where(kv => kv.Key.StartsWith("notify|table replace Slack thread", StringComparison.Ordinal) && !kv.Key.Contains(" (", StringComparison.Ordinal)).Sum(kv => kv.Value.Count) / MonitoringPosts;
    public string LoadBefore { get; set; } = "";
    public string LoadAfter { get; set; } = "";
    public Dictionary<string, int> IntakeStatuses { get; set; } = [];
    public Percentiles IntakeAckMs { get; set; } = Percentiles.Of([]);
    public Percentiles EventToRevertMs { get; set; } = Percentiles.Of([]);
    public Percentiles EventToStoredMs { get; set; } = Percentiles.Of([]);
    public Percentiles QueueWaitMs { get; set; } = Percentiles.Of([]);
    public Percentiles DequeueToRevertMs { get; set; } = Percentiles.Of([]);
    public double IntakeSeconds { get; set; }
    public double IntakeEventsPerSecond { get; set; }
    public double PipelineSeconds { get; set; }
    public double AllDoneSeconds { get; set; }
    public double EventsPerSecond { get; set; }
    public int RowsStored { get; set; }
    /// <summary>Events whose request is not Pending (real change) or Unmatched (forged one).</summary>
    public int WrongStatus { get; set; }
    /// <summary>The events' rules still in their groups after the run (0 = every revert really revoked).</summary>
    public int RulesStillPresent { get; set; }
    public Dictionary<string, int> RowsByStatus { get; set; } = [];
    public Dictionary<string, int> Outcomes { get; set; } = [];
    public Dictionary<string, long> StsPerAccount { get; set; } = [];
    public MinMaxMean Ec2WritesPerEvent { get; set; } = new(0, 0, 0);
    /// <summary>EC2 writes made for forged events (must be 0).</summary>
    public int ForgedWrites { get; set; }
    public int SlackStubRequests { get; set; }
    public double SlackCallsPerRequest { get; set; }
    public double SlackPostsPerRequest { get; set; }
    public long AllocatedBytesPerEvent { get; set; }
    public double PeakWorkingSetMb { get; set; }
    public int PeakInFlight { get; set; }
    public int Gen0Collections { get; set; }
    public int Gen2Collections { get; set; }
    public Dictionary<string, double> CpuSeconds { get; set; } = [];
    /// <summary>CPU of building the events (rules created in EC2, envelopes), before the timed window.</summary>
    public double GeneratorCpuSeconds { get; set; }
    public double LogLinesPerEvent { get; set; }
    public Dictionary<string, long> EmptyPolls { get; set; } = [];
    public BaselineResult? BaselineSameCalls { get; set; }
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

    /// <summary>Storage operations per event whose "path|service op queue" name matches.</summary>
    public double StoragePerEvent(Func<string, string, bool> match) => PerEvent(StorageCalls, Events, match);

    public static double PerEvent(Dictionary<string, CallSummary> calls, int events, Func<string, string, bool> match) =>
        (double)calls.Where(kv => kv.Key.Split('|', 2) is [var path, var op] && match(path, op)).Sum(kv => kv.Value.Count) / Math.Max(1, events);

    /// <summary>The revert path: the intake's enqueue, the changes queue's receives (found or empty) and everything done handling a change.</summary>
    public static bool RevertPath(string path, string op) => path is "intake" or "revert" || (path == "poll" && op.EndsWith(" sgbridge-changes", StringComparison.Ordinal));

    /// <summary>A one-time operation of a process (create a queue or a table on first use), not a data operation.</summary>
    public static bool IsAdmin(string op) => op.StartsWith("queue admin", StringComparison.Ordinal) || op.Contains("create-table", StringComparison.Ordinal);

    /// <summary>
    /// The revert path's data operations done for the events themselves: everything the intake and the revert do,
    /// without the changes queue's receives (polls: per unit of time, not per event, when the intake reverts inline
    /// and the queue is only the fallback) and without one-time queue/table creation.
    /// </summary>
    public static bool RevertWork(string path, string op) => path is "intake" or "revert" && !IsAdmin(op);

    /// <summary>The revert path's data operations including the changes queue's receives (the queue mode's figure).</summary>
    public static bool RevertData(string path, string op) => RevertPath(path, op) && !IsAdmin(op);

    /// <summary>The notification path: the notifications queue's receives and everything NotifySlack does.</summary>
    public static bool NotifyPath(string path, string op) => path == "notify" || (path == "poll" && op.EndsWith(" sgbridge-effects", StringComparison.Ordinal));

    /// <summary>Every storage operation of the event's life (not the bench's own setup and idle checks).</summary>
    public static bool AnyEventPath(string path, string op) => path is not ("setup" or "check" or "onboard");

    /// <summary>The approvers' message's blast radius (issue 13), read on the notification path and cached per group: not a revert's call.</summary>
    public static bool BlastRadiusCall(string call) => call == "DescribeNetworkInterfaces";

    /// <summary>The revert's describes (DescribeSecurityGroupRules, and DescribeSecurityGroups for a group named only by name).</summary>
    public double Ec2Describes => (double)AwsHttpCalls.Where(kv => kv.Key.StartsWith("Describe", StringComparison.Ordinal) && !BlastRadiusCall(kv.Key)).Sum(kv => kv.Value.Count) / Events;

    public double Ec2BlastRadius => (double)AwsHttpCalls.Where(kv => BlastRadiusCall(kv.Key)).Sum(kv => kv.Value.Count) / Events;

    public double Ec2Writes => (double)AwsHttpCalls.Where(kv => kv.Key is not ("AssumeRole" or "AssumeRoleWithWebIdentity") && !kv.Key.StartsWith("Describe", StringComparison.Ordinal)).Sum(kv => kv.Value.Count) / Events;
}

public sealed class RunReport
{
    public string Date { get; set; } = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    public string Machine { get; set; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    public string Command { get; set; } = "";
    public string Aws { get; set; } = "";
    public string LoadAtStart { get; set; } = ProcessCpu.LoadAverage();
    public Dictionary<string, string> Settings { get; set; } = [];
    public List<ScenarioResult> Scenarios { get; set; } = [];
    public List<Target> Targets { get; set; } = [];
    public double? MotoAloneMsPerCall { get; set; }
    public ColdStart? ColdStart { get; set; }
}

public sealed record ColdStart(double ProcessStartToReadyMs, double ReadyToFirstHandledMs, double ProcessStartToFirstHandledMs, string Note);

public sealed record Target(string Name, string Goal, string Measured, bool Met, string Why = "");

public static class Report
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private static string F(double v, string f = "F1") => double.IsNaN(v) ? "–" : v.ToString(f, Inv);

    /// <summary>"min / median / max" over the repeats (one value when there is one run or they agree).</summary>
    public static string Mmm(IReadOnlyList<ScenarioResult> runs, Func<ScenarioResult, double> value, string f = "F1")
    {
        var v = runs.Select(value).Where(x => !double.IsNaN(x)).ToArray();
        if (v.Length == 0)
        {
            return "–";
        }
        var (min, med, max) = (v.Min(), Median(v), v.Max());
        return F(min, f) == F(max, f) ? F(med, f) : $"{F(min, f)} / {F(med, f)} / {F(max, f)}";
    }

    public static List<Target> Targets(RunReport run)
    {
        var targets = new List<Target>();
        // Judged on bursts (and the smoke): in the single and idle runs the pump's empty polls dominate "per event".
        var ratio = SlackRatios(run).Where(r => r.Ratios.Count > 0).ToList();
        if (ratio.Count > 0)
        {
            var worst = ratio.SelectMany(r => r.Ratios.Select(x => (r.Scenario, x))).MaxBy(p => p.x);
            targets.Add(new("event→reverted p99, Slack on ÷ off (worst pair of runs)", "≤ 1.1",
                string.Join("; ", ratio.Select(r => $"{r.Scenario} {F(r.Ratios.Min(), "F2")} / {F(Median(r.Ratios), "F2")} / {F(r.Ratios.Max(), "F2")}")) + $" (worst {F(worst.x, "F2")}, {worst.Scenario})",
                worst.x <= 1.1, "the revert's p99 grew with the notification path running beside it (same storage, same cores)"));
        }
        // The storage targets count the whole pipeline: only runs with the notification path on.
        var events = run.Scenarios.Where(s => (s.Name.StartsWith("burst", StringComparison.Ordinal) || s.Name == "smoke") && s.Slack == "on").ToList();
        if (events.Count == 0)
        {
            return targets;
        }
        var total = events.Max(s => s.StoragePerEvent(ScenarioResult.AnyEventPath));
        var totalAt = events.MaxBy(s => s.StoragePerEvent(ScenarioResult.AnyEventPath))!;
        targets.Add(new("storage ops per event, all paths (worst scenario run)", "≤ 10", $"{total:F1} ({totalAt.Name})", total <= 10,
            "issue 19's budget: revert path 3 inline + the effects path (the nudge's receive and delete, the request read, the Slack rows, the conditional write that clears the effect with its index row); the rest is the queues' polls (time-dependent) and fallbacks"));
        var revert = events.Max(s => s.StoragePerEvent(s.Intake == "inline" ? ScenarioResult.RevertWork : ScenarioResult.RevertData));
        targets.Add(new("storage data ops per event, revert path (worst run; inline: without the fallback queue's polls)", "≤ 3", $"{revert:F2}", revert <= 3,
            "inline: approved-state read, request insert (its effects and their index row in the same transaction), the effects nudge = 3; with --intake queue add the queue's send, receive share and delete"));
        var ec2 = events.Max(s => s.Ec2Describes + s.Ec2Writes);
        targets.Add(new("EC2 calls per event (describe + write, worst run)", "≤ 2", $"{ec2:F2}", ec2 <= 2.0001,
            "one DescribeSecurityGroupRules + one revoke per real event; a forged event costs the describe only; the approvers' message's blast radius read is counted apart (its own row)"));
        var sts = run.Scenarios.SelectMany(s => s.StsPerAccount.Values).DefaultIfEmpty(0).Max();
        targets.Add(new("STS calls per account (max over accounts and runs)", "≤ 1", sts.ToString(Inv), sts <= 1));
        var writesExact = events.All(s => s.Events == s.Forged || s.Ec2WritesPerEvent is { Min: 1, Max: 1 });
        targets.Add(new("EC2 writes per real event (every event, every run)", "exactly 1",
            string.Join(", ", events.Select(s => $"{s.Ec2WritesPerEvent.Min:F0}–{s.Ec2WritesPerEvent.Max:F0}").Distinct()), writesExact));
        var correct = events.All(s => s.RowsStored == s.Events && s.WrongStatus == 0 && s.RulesStillPresent == 0 && s.ForgedWrites == 0 && s.Poisoned.Values.Sum() == 0);
        targets.Add(new("every event a stored request (Pending/Unmatched), reverted rules gone, nothing poisoned", "all",
            string.Join(", ", events.Select(s => $"{s.RowsStored}/{s.Events} wrong {s.WrongStatus} left {s.RulesStillPresent} poison {s.Poisoned.Values.Sum()}").Distinct()), correct));
        return targets;
    }

    /// <summary>Slack on and off runs of one scenario paired in run order (--slack both): the p99 ratio of each pair, with the loads.</summary>
    public static List<(string Scenario, List<double> Ratios, List<string> Loads)> SlackRatios(RunReport run)
    {
        const string On = "-slack-on", Off = "-slack-off";
        var result = new List<(string, List<double>, List<string>)>();
        foreach (var name in run.Scenarios.Select(s => s.Name).Where(n => n.EndsWith(On, StringComparison.Ordinal)).Distinct())
        {
            var scenario = name[..^On.Length];
            var ons = run.Scenarios.Where(s => s.Name == name).ToList();
            var offs = run.Scenarios.Where(s => s.Name == scenario + Off).ToList();
            var pairs = ons.Zip(offs).Where(p => p.First.EventToRevertMs.Count > 0 && p.Second.EventToRevertMs.Count > 0 && p.Second.EventToRevertMs.P99 > 0).ToList();
            result.Add((scenario, pairs.Select(p => p.First.EventToRevertMs.P99 / p.Second.EventToRevertMs.P99).ToList(),
                pairs.Select(p => $"{p.First.LoadBefore.Split(' ')[0]}→{p.First.LoadAfter.Split(' ')[0]} / {p.Second.LoadBefore.Split(' ')[0]}→{p.Second.LoadAfter.Split(' ')[0]}").ToList()));
        }
        return result;
    }

    public static string Markdown(RunReport run)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"# SgBridge pipeline bench — {run.Date}");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Machine: {run.Machine}; load average (1/5/15 min) at start {run.LoadAtStart}. AWS side: **{run.Aws}**. Command: `{run.Command}`");
        sb.AppendLine(Inv, $"Settings: {string.Join(", ", run.Settings.Select(kv => $"{kv.Key}={kv.Value}"))}");
        if (run.MotoAloneMsPerCall is { } moto)
        {
            sb.AppendLine(Inv, $"moto alone: {moto:F1} ms per EC2 call (sequential DescribeSecurityGroups, SDK → moto).");
        }
        if (run.ColdStart is { } cold)
        {
            sb.AppendLine(Inv, $"Cold start: process start → bridge ready {cold.ProcessStartToReadyMs:F0} ms; ready → first message handled {cold.ReadyToFirstHandledMs:F0} ms; process start → first message handled **{cold.ProcessStartToFirstHandledMs:F0} ms**. {cold.Note}");
        }
        sb.AppendLine();
        var cols = run.Scenarios.GroupBy(s => s.Name).Select(g => (Name: g.Key, Runs: (IReadOnlyList<ScenarioResult>)g.ToList())).ToList();
        sb.AppendLine("Cells: min / median / max over the runs (one value when they agree).");
        sb.AppendLine();
        sb.AppendLine("| metric | " + string.Join(" | ", cols.Select(c => $"{c.Name} ×{c.Runs.Count}")) + " |");
        sb.AppendLine("|---|" + string.Concat(cols.Select(_ => "---:|")));
        void Row(string name, Func<ScenarioResult, double> value, string f = "F1") => sb.AppendLine("| " + name + " | " + string.Join(" | ", cols.Select(c => Mmm(c.Runs, value, f))) + " |");
        void Text(string name, Func<IReadOnlyList<ScenarioResult>, string> value) => sb.AppendLine("| " + name + " | " + string.Join(" | ", cols.Select(c => value(c.Runs))) + " |");
        Text("intake", rs => rs[0].Intake);
        Text("Slack (notifications queue pumped)", rs => rs[0].Slack);
        Row("events (approvals: clicks)", c => c.Events, "F0");
        Row("· of which forged", c => c.Forged, "F0");
        Text("load avg before → after", rs => string.Join("; ", rs.Select(r => $"{r.LoadBefore.Split(' ')[0]}→{r.LoadAfter.Split(' ')[0]}")));
        Row("intake / click ack p50 ms", c => c.IntakeAckMs.P50);
        Row("intake / click ack p99 ms", c => c.IntakeAckMs.P99);
        Row("event→reverted p50 ms", c => c.EventToRevertMs.P50, "F0");
        Row("event→reverted p99 ms", c => c.EventToRevertMs.P99, "F0");
        Row("· queue wait p50 ms", c => c.QueueWaitMs.P50, "F0");
        Row("· queue wait p99 ms", c => c.QueueWaitMs.P99, "F0");
        Row("· dequeue→reverted p50 ms", c => c.DequeueToRevertMs.P50, "F0");
        Row("event→request stored p99 ms", c => c.EventToStoredMs.P99, "F0");
        Row("pipeline s (first intake → last request stored)", c => c.PipelineSeconds, "F2");
        Row("sustained events/s", c => c.EventsPerSecond, "F0");
        Row("all done s (incl. Slack)", c => c.AllDoneSeconds, "F2");
        Row("peak messages in flight", c => c.PeakInFlight, "F0");
        Text("requests stored / events", rs => string.Join("; ", rs.Select(r => $"{r.RowsStored}/{r.Events}").Distinct()));
        Text("request statuses", rs => string.Join("; ", rs.Select(r => string.Join(",", r.RowsByStatus.OrderBy(k => k.Key).Select(kv => $"{kv.Key}={kv.Value}"))).Distinct()));
        Row("wrong status (not Pending/Unmatched as expected)", c => c.WrongStatus, "F0");
        Row("reverted rules still in the group", c => c.IsApprovals ? double.NaN : c.RulesStillPresent, "F0");
        Row("**storage ops / event, all paths**", c => c.StoragePerEvent(ScenarioResult.AnyEventPath), "F2");
        Row("· revert path: data ops done per event (no polls, no queue/table creation)", c => c.StoragePerEvent(ScenarioResult.RevertWork), "F2");
        Text("· events reverted inline: n / max storage ops / max EC2 calls of one event", rs => string.Join("; ", rs.Select(r => $"{r.InlineDone} / {r.InlineMaxStorage} / {r.InlineMaxEc2}")));
        Text("· events through the queue: n / max storage ops / max EC2 calls of one event", rs => string.Join("; ", rs.Select(r => $"{r.QueuedEvents} / {r.QueuedMaxStorage} / {r.QueuedMaxEc2}")));
        Row("· 5xx answers delivered again (as EventBridge retries)", c => c.Redelivered, "F0");
        Row("· revert path: changes-queue receives (polls, found or empty) per event", c => c.StoragePerEvent((p, o) => p == "poll" && o.EndsWith(" sgbridge-changes", StringComparison.Ordinal)), "F2");
        Row("· revert path: table", c => c.StoragePerEvent((p, o) => ScenarioResult.RevertPath(p, o) && o.StartsWith("table", StringComparison.Ordinal)), "F2");
        Row("· revert path: queue (send, receives incl. empty, delete, settle checks)", c => c.StoragePerEvent((p, o) => ScenarioResult.RevertPath(p, o) && o.StartsWith("queue", StringComparison.Ordinal)), "F2");
        Row("· · of which settle checks sent (sgbridge-reconcile)", c => c.StoragePerEvent((p, o) => o.EndsWith("send sgbridge-reconcile", StringComparison.Ordinal)), "F2");
        Row("· · of which lease conflicts (409) and re-reads", c => c.StoragePerEvent((p, o) => p == "revert" && (o.Contains("(409)", StringComparison.Ordinal))), "F2");
        Row("· notification path: table", c => c.StoragePerEvent((p, o) => ScenarioResult.NotifyPath(p, o) && o.StartsWith("table", StringComparison.Ordinal)), "F2");
        Row("· notification path: queue", c => c.StoragePerEvent((p, o) => ScenarioResult.NotifyPath(p, o) && o.StartsWith("queue", StringComparison.Ordinal)), "F2");
        Row("· · notification path: pointer reads (Slack open-…)", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("table get Slack pointer", StringComparison.Ordinal)), "F2");
        Row("· · notification path: transactions (batch start or join)", c => c.StoragePerEvent((p, o) => p == "notify" && o.Contains(" transaction", StringComparison.Ordinal) && o.StartsWith("table insert", StringComparison.Ordinal)), "F2");
        Row("· · notification path: batch (thread) reads, not in renders", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("table get Slack thread", StringComparison.Ordinal) && !o.Contains("[render]", StringComparison.Ordinal)), "F2");
        Row("· · notification path: render notifications' thread reads", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("table get Slack thread", StringComparison.Ordinal) && o.Contains("[render]", StringComparison.Ordinal)), "F2");
        Row("· · notification path: request reads (renders' members and others)", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("table get Requests", StringComparison.Ordinal)), "F2");
        Row("· · · of which in render notifications", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("table get Requests", StringComparison.Ordinal) && o.Contains("[render]", StringComparison.Ordinal)), "F2");
        Row("· · notification path: record writes (replace/upsert)", c => c.StoragePerEvent((p, o) => p == "notify" && (o.StartsWith("table replace", StringComparison.Ordinal) || o.StartsWith("table upsert", StringComparison.Ordinal))), "F2");
        Row("· · notification path: queue sends (render notifications scheduled)", c => c.StoragePerEvent((p, o) => p == "notify" && o.StartsWith("queue send", StringComparison.Ordinal)), "F2");
        Row("batches shown (monitoring messages posted)", c => c.MonitoringPosts, "F0");
        Row("renders per batch (thread-row render writes ÷ batches)", c => c.RendersPerBatch, "F2");
        Row("render notifications handled per batch", c => c.MonitoringPosts == 0 ? double.NaN : (double)c.RenderNotifications / c.MonitoringPosts, "F2");
        Row("· other (applies, unattributed)", c => c.StoragePerEvent((p, o) => ScenarioResult.AnyEventPath(p, o) && !ScenarioResult.RevertPath(p, o) && !ScenarioResult.NotifyPath(p, o)), "F2");
        Row("empty polls during the run (all queues)", c => c.EmptyPolls.Values.Sum(), "F0");
        Row("empty polls per queue per minute (idle: the back-off floor's cost)", c => c.EmptyPolls.Count == 0 ? double.NaN : c.EmptyPolls.Values.Sum() / (double)c.EmptyPolls.Count / c.AllDoneSeconds * 60, "F1");
        Row("**EC2 calls / event**: describe", c => c.Ec2Describes, "F2");
        Row("**EC2 calls / event**: write", c => c.Ec2Writes, "F2");
        Row("EC2 calls / event: approvers' message blast radius (DescribeNetworkInterfaces, cached per group)", c => c.Ec2BlastRadius, "F2");
        Text("EC2 writes per real event (min–max); for forged", rs => string.Join("; ", rs.Select(r => $"{r.Ec2WritesPerEvent.Min:F0}–{r.Ec2WritesPerEvent.Max:F0}; {r.ForgedWrites}").Distinct()));
        Text("STS calls per account (all accounts)", rs => string.Join("; ", rs.Select(r => string.Join(",", r.StsPerAccount.Values.Distinct().Order())).Distinct()));
        Row("Slack calls per request", c => c.SlackCallsPerRequest, "F2");
        Row("log lines per event (host.json levels)", c => c.LogLinesPerEvent, "F1");
        Row("CPU s: bridge process (incl. intake caller)", c => c.CpuSeconds.GetValueOrDefault("bridge (bench process)"), "F2");
        Row("CPU s: azurite", c => c.CpuSeconds.GetValueOrDefault("azurite"), "F2");
        Row("CPU s: stubs (EC2/STS/Slack)", c => c.CpuSeconds.GetValueOrDefault("stubs (EC2/STS/Slack)"), "F2");
        Row("CPU s: moto", c => c.CpuSeconds.TryGetValue("moto", out var m) ? m : double.NaN, "F2");
        Row("CPU s: load generator (rules + envelopes, before the window)", c => c.GeneratorCpuSeconds, "F2");
        Row("bare same calls s", c => c.BaselineSameCalls?.Seconds ?? double.NaN, "F2");
        Row("bare: storage ops / event (revert path)", c => c.BaselineSameCalls is { } b ? ScenarioResult.PerEvent(b.StorageCalls, c.Events, ScenarioResult.RevertPath) : double.NaN, "F2");
        Row("bare: EC2 calls / event", c => c.BaselineSameCalls is { } b ? (double)b.AwsHttpCalls.Where(kv => !kv.Key.StartsWith("AssumeRole", StringComparison.Ordinal)).Sum(kv => kv.Value.Count) / c.Events : double.NaN, "F2");
        Row("bare: CPU s bench process", c => c.BaselineSameCalls?.CpuSeconds.GetValueOrDefault("bridge (bench process)") ?? double.NaN, "F2");
        Row("bare: CPU s azurite", c => c.BaselineSameCalls?.CpuSeconds.GetValueOrDefault("azurite") ?? double.NaN, "F2");
        Row("overhead ratio (pipeline s / bare same calls s)", c => c.OverheadRatioSameCalls ?? double.NaN, "F2");
        Row("allocated KB per event", c => c.AllocatedBytesPerEvent / 1024.0);
        Row("peak working set MB", c => c.PeakWorkingSetMb, "F0");
        Text("failures / poison", rs => string.Join("; ", rs.Select(r => $"{r.Failed.Values.Sum()} / {r.Poisoned.Values.Sum()}").Distinct()));
        var ratios = SlackRatios(run);
        if (ratios.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## event→reverted p99, Slack on ÷ off (--slack both: each pair run back to back)");
            sb.AppendLine();
            sb.AppendLine("| scenario | pairs | ratio min / median / max | each pair (on ms ÷ off ms) | load 1 min (on before→after / off before→after) |");
            sb.AppendLine("|---|---:|---|---|---|");
            foreach (var (scenario, list, loads) in ratios)
            {
                var ons = run.Scenarios.Where(s => s.Name == scenario + "-slack-on").ToList();
                var offs = run.Scenarios.Where(s => s.Name == scenario + "-slack-off").ToList();
                var each = string.Join("; ", ons.Zip(offs).Select(p => $"{F(p.First.EventToRevertMs.P99, "F0")} ÷ {F(p.Second.EventToRevertMs.P99, "F0")}"));
                var mmm = list.Count == 0 ? "–" : $"{F(list.Min(), "F2")} / {F(Median(list), "F2")} / {F(list.Max(), "F2")}";
                sb.AppendLine(Inv, $"| {scenario} | {list.Count} | {mmm} | {each} | {string.Join("; ", loads)} |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("## Targets");
        sb.AppendLine();
        sb.AppendLine("| target | goal | measured | | why |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var t in run.Targets)
        {
            sb.AppendLine(Inv, $"| {t.Name} | {t.Goal} | {t.Measured} | {(t.Met ? "met" : "**missed**")} | {(t.Met ? "" : t.Why)} |");
        }
        sb.AppendLine();
        sb.AppendLine("## Calls, per event (last run of each scenario; mean latency as the client saw it)");
        foreach (var (name, runs) in cols)
        {
            var c = runs[^1];
            sb.AppendLine();
            sb.AppendLine("**" + name + "**: " + string.Join("; ",
                c.AwsHttpCalls.Concat(c.StorageCalls).Concat(c.SlackCalls).Concat(c.Ec2Client)
                    .Select(kv => $"{kv.Key} {(double)kv.Value.Count / c.Events:F2}/ev {kv.Value.MeanMs:F1} ms")));
            if (c.BaselineSameCalls is { } b)
            {
                sb.AppendLine();
                sb.AppendLine("bare same calls: " + string.Join("; ", b.AwsHttpCalls.Concat(b.StorageCalls).Select(kv => $"{kv.Key} {(double)kv.Value.Count / c.Events:F2}/ev {kv.Value.MeanMs:F1} ms")));
            }
            if (c.ErrorSamples.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("Errors: " + string.Join(" | ", c.ErrorSamples));
            }
        }
        return sb.ToString();
    }

    public static async Task WriteAsync(RunReport run, string directory, string stem = "latest")
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, stem + ".md"), Markdown(run));
        await File.WriteAllTextAsync(Path.Combine(directory, stem + ".json"), JsonSerializer.Serialize(run, Json));
    }
}
