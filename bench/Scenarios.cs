using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using Azure.Storage.Queues.Models;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

using SgBridge.Emulators;

namespace SgBridge.Bench;

public sealed class BenchContext
{
    public required BenchOptions Options { get; init; }
    public required string StorageConnectionString { get; init; }
    public required string AwsUrl { get; init; }
    public required string SlackUrl { get; init; }
    public required string AwsMode { get; init; }
    /// <summary>The stub process (null in the cold-start child, which only runs the bridge).</summary>
    public StubProcess Stubs { get; init; } = null!;
    public required Workload Workload { get; init; }
    public required HostQueueSettings Host { get; init; }
    public required AwsCallCounter Aws { get; init; }
    public required JsonNode Template { get; init; }

    /// <summary>Intake:RevertInline for the pipelines built next (the bench's --intake mode).</summary>
    public bool Inline { get; set; } = true;

    /// <summary>Whether the pipelines built next pump the notifications queue (the bench's --slack mode).</summary>
    public bool SlackOn { get; set; } = true;
}

public static class Scenarios
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Onboarding, then intake → (inline, or queue → pump) → reconcile (approved state, one describe, one write) →
    /// request stored once → Slack for
    /// <paramref name="count"/> events, on fresh tables; every <paramref name="forgedEvery"/>-th event is forged (it claims
    /// a rule that is not in the group). <paramref name="spacing"/> &gt; 0 sends them one at a time, that far apart (idle latency).
    /// </summary>
    public static async Task<(ScenarioResult Result, Pipeline Pipeline, IReadOnlyList<EventSpec> Events)> RunEventsAsync(BenchContext ctx, string name, int count,
        bool keepPipeline = false, int forgedEvery = 0, TimeSpan spacing = default)
    {
        Console.Error.WriteLine($"[{name}] onboarding, then {count} events ({ctx.AwsMode})…");
        var pipeline = Pipeline.Build(ctx, name);
        // Onboard first (every group's current rules become its approved state), then add the events' rules.
        await pipeline.OnboardAsync(ctx.Workload.Accounts, Workload.Region, CancellationToken.None);
        var generatorCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var events = await ctx.Workload.NewEventsAsync(count, forgedEvery);
        var bodies = events.Select(e => Workload.EnvelopeFor(ctx.Template, e)).ToArray();
        generatorCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - generatorCpu;
        await pipeline.StartPumpAsync(ctx);
        // Warm the intake path's one-time work (queue and table creation) outside the measurement, as a running host would have.
        pipeline.Timeline.Path.Value = "setup";
        await pipeline.Services.GetRequiredService<IQueueSender>().SendAsync("sgbridge-bench-warmup", new { warm = true }, CancellationToken.None);
        await pipeline.Services.GetRequiredService<IRequestStore>().GetAsync("warmup", CancellationToken.None);
        pipeline.Timeline.Path.Value = null;
        await ctx.Stubs.ResetAsync();
        ctx.Aws.Stats.Reset();
        pipeline.Storage.Reset();
        pipeline.Slack.Reset();
        pipeline.Logs.Reset();
        pipeline.Timeline.Ec2.Reset();
        Interlocked.Exchange(ref pipeline.Timeline.RenderNotifications, 0);
        foreach (var q in pipeline.Pump!.EmptyPolls.Keys)
        {
            pipeline.Pump.EmptyPolls[q] = 0;
        }

        var t = pipeline.Timeline;
        var intake = pipeline.Intake;
        var statuses = new ConcurrentDictionary<int, int>();
        var inlineDone = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var redelivered = 0;
        var deliveredAgain = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        using var sampler = new WorkingSetSampler();
        var loadBefore = ProcessCpu.LoadAverage();
        var cpuBefore = ProcessCpu.Snapshot();
        var gen0 = GC.CollectionCount(0);
        var gen2 = GC.CollectionCount(2);
        var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        async ValueTask SendAsync(int i, CancellationToken ct)
        {
            var e = events[i];
            t.Path.Value = "intake";
            // Inline, the revert runs inside AcceptAsync: its EC2 write is keyed by the event, as the pump's is.
            t.Current.Value = e.EventId;
            t.IntakeStart[e.EventId] = Stopwatch.GetTimestamp();
            var result = await intake.AcceptAsync(bodies[i], "application/json; charset=utf-8", ct);
            for (var retry = 0; retry < 3 && result.StatusCode >= 500; retry++)
            {
                // EventBridge retries 5xx, honouring Retry-After: so does the bench (the answer it waits for is a 202).
                Interlocked.Increment(ref redelivered);
                deliveredAgain[e.EventId] = true;
                await Task.Delay(result.RetryAfter ?? TimeSpan.FromSeconds(1), ct);
                result = await intake.AcceptAsync(bodies[i], "application/json; charset=utf-8", ct);
            }
            t.IntakeAck[e.EventId] = Stopwatch.GetTimestamp();
            if (result.Outcome is not null)
            {
                inlineDone[e.EventId] = true;
            }
            if (result.Outcome is { } outcome)
            {
                t.Outcomes.AddOrUpdate(outcome.ToString(), 1, static (_, n) => n + 1);
                t.ProcessDone.TryAdd(e.EventId, t.IntakeAck[e.EventId]);
            }
            statuses.AddOrUpdate(result.StatusCode, 1, (_, n) => n + 1);
        }
        if (spacing > TimeSpan.Zero)
        {
            for (var i = 0; i < count; i++)
            {
                // Each event after a quiet period, so the pump has backed off to maxPollingInterval.
                await Task.Delay(spacing);
                await SendAsync(i, CancellationToken.None);
                var id = events[i].EventId;
                await WaitAsync(() => t.ProcessDone.ContainsKey(id) || pipeline.Pump.Poisoned.Values.Sum() > 0, pipeline.Pump);
            }
        }
        else
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.IntakeConcurrency }, SendAsync);
        }
        var intakeDone = Stopwatch.GetTimestamp();

        // Every accepted event processed: inline in the intake, or by the pump (a queued copy of an inline run that ran
        // past its budget is not waited for: it stays invisible for EventIntake.InlineFallbackDelay and then finds it done).
        await WaitAsync(() => events.Count(e => t.ProcessDone.ContainsKey(e.EventId)) + pipeline.Pump!.Poisoned.GetValueOrDefault(QueueNames.Changes) >= statuses.GetValueOrDefault(202), pipeline.Pump!);
        var revertsDone = Stopwatch.GetTimestamp();
        await WaitIdleAsync(pipeline.Pump!);
        var allDone = Stopwatch.GetTimestamp();
        var allocAfter = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = ProcessCpu.Since(cpuBefore);
        var loadAfter = ProcessCpu.LoadAverage();

        var r = new ScenarioResult { Name = name, Events = count, Aws = ctx.AwsMode, LoadBefore = loadBefore, LoadAfter = loadAfter, Intake = ctx.Inline ? "inline" : "queue", Slack = ctx.SlackOn ? "on" : "off" };
        r.Forged = events.Count(e => e.Forged);
        r.IntakeStatuses = statuses.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value);
        r.IntakeAckMs = Percentiles.Of(events.Select(e => Ms(t.IntakeStart[e.EventId], t.IntakeAck[e.EventId])));
        r.EventToRevertMs = Percentiles.Of(events.Where(e => t.WriteDone.ContainsKey(e.EventId)).Select(e => Ms(t.IntakeStart[e.EventId], t.WriteDone[e.EventId])));
        r.QueueWaitMs = Percentiles.Of(events.Where(e => t.Dequeued.ContainsKey(e.EventId)).Select(e => Ms(t.IntakeAck[e.EventId], t.Dequeued[e.EventId])));
        r.DequeueToRevertMs = Percentiles.Of(events.Where(e => t.WriteDone.ContainsKey(e.EventId) && t.Dequeued.ContainsKey(e.EventId)).Select(e => Ms(t.Dequeued[e.EventId], t.WriteDone[e.EventId])));
        r.EventToStoredMs = Percentiles.Of(events.Where(e => t.ProcessDone.ContainsKey(e.EventId)).Select(e => Ms(t.IntakeStart[e.EventId], t.ProcessDone[e.EventId])));
        var lastProcess = events.Where(e => t.ProcessDone.ContainsKey(e.EventId)).Select(e => t.ProcessDone[e.EventId]).DefaultIfEmpty(revertsDone).Max();
        r.IntakeSeconds = Sec(start, intakeDone);
        r.PipelineSeconds = Sec(start, lastProcess);
        r.AllDoneSeconds = Sec(start, allDone);
        r.EventsPerSecond = count / r.PipelineSeconds;
        r.IntakeEventsPerSecond = count / r.IntakeSeconds;

        var statusById = await pipeline.StatusByRequestAsync();
        r.RowsByStatus = statusById.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        r.RowsStored = statusById.Count;
        r.WrongStatus = events.Count(e => statusById.GetValueOrDefault(RequestId.For(e.EventId)) != (e.Forged ? "Unmatched" : "Pending"));
        r.Outcomes = new(t.Outcomes);
        r.Redelivered = redelivered;
        // An event EventBridge had to deliver again (a 5xx first) did its work in two calls: its operations are the sum of
        // both, so it is judged apart (RedeliveredMax*), not against one delivery's limits.
        var inlineEvents = events.Where(e => inlineDone.ContainsKey(e.EventId) && !deliveredAgain.ContainsKey(e.EventId)).ToList();
        var queuedEvents = events.Where(e => !inlineDone.ContainsKey(e.EventId) && !deliveredAgain.ContainsKey(e.EventId)).ToList();
        r.RedeliveredMaxStorage = events.Where(e => deliveredAgain.ContainsKey(e.EventId)).Select(e => t.StorageByEvent.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).Max();
        r.InlineDone = inlineEvents.Count;
        r.InlineMaxStorage = inlineEvents.Select(e => t.StorageByEvent.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).Max();
        r.InlineMaxEc2 = inlineEvents.Select(e => t.Ec2ByEvent.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).Max();
        r.QueuedEvents = queuedEvents.Count;
        r.QueuedMaxStorage = queuedEvents.Select(e => t.StorageByEvent.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).Max();
        r.QueuedMaxEc2 = queuedEvents.Select(e => t.Ec2ByEvent.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).Max();
        r.StsPerAccount = ctx.Workload.Accounts.ToDictionary(a => a, a => pipeline.StsCalls.For(a));
        var writes = events.Where(e => !e.Forged).Select(e => t.Writes.GetValueOrDefault(e.EventId)).DefaultIfEmpty(0).ToArray();
        r.Ec2WritesPerEvent = new MinMaxMean(writes.Min(), writes.Max(), writes.Average());
        r.ForgedWrites = events.Where(e => e.Forged).Sum(e => t.Writes.GetValueOrDefault(e.EventId));
        r.AwsHttpCalls = ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.StorageCalls = pipeline.Storage.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.SlackCalls = pipeline.Slack.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.Ec2Client = t.Ec2.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.EmptyPolls = pipeline.Pump!.EmptyPolls.ToDictionary(kv => kv.Key, kv => kv.Value);
        var stub = await ctx.Stubs.CountsAsync();
        r.SlackStubRequests = stub.Slack.Values.Sum();
        // After the counts are taken: this check's own describes must not count as the pipeline's.
        r.RulesStillPresent = await ctx.Workload.RulesStillPresentAsync(events);
        r.SlackCallsPerRequest = (double)r.SlackStubRequests / Math.Max(1, r.RowsStored);
        r.SlackPostsPerRequest = (double)stub.Slack.Where(kv => kv.Key.Contains("postMessage", StringComparison.Ordinal)).Sum(kv => kv.Value) / Math.Max(1, r.RowsStored);
        r.AllocatedBytesPerEvent = (allocAfter - allocBefore) / count;
        r.PeakWorkingSetMb = sampler.PeakMb;
        r.PeakInFlight = pipeline.Pump.PeakInFlight;
        r.Gen0Collections = GC.CollectionCount(0) - gen0;
        r.Gen2Collections = GC.CollectionCount(2) - gen2;
        r.CpuSeconds = cpu;
        r.GeneratorCpuSeconds = generatorCpu.TotalSeconds;
        r.LogLinesPerEvent = (double)pipeline.Logs.Lines / count;
        r.Failed = pipeline.Pump.Failed.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.Poisoned = pipeline.Pump.Poisoned.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.ErrorSamples = pipeline.Pump.Errors.Take(5).ToList();
        r.RenderNotifications = Interlocked.Read(ref t.RenderNotifications);
        r.MonitoringPosts = (int)pipeline.Slack.Snapshot().Where(kv => kv.Key == "slack chat.postMessage monitoring").Sum(kv => kv.Value.Count);
        Console.Error.WriteLine($"[{name}] pipeline {r.PipelineSeconds:F2} s, {r.EventsPerSecond:F0} ev/s, rows {r.RowsStored}/{count}, load {loadAfter}");

        if (!ctx.SlackOn)
        {
            // --slack off left its notifications on the queue (queue names are the app's, shared by every scenario):
            // clear them, or the next run with Slack on would handle them as its own (counted, and competing).
            pipeline.Timeline.Path.Value = "check";
            await pipeline.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(QueueNames.Effects).ClearMessagesAsync();
            pipeline.Timeline.Path.Value = null;
        }
        if (!keepPipeline)
        {
            // With approvals to follow, the caller runs the baseline afterwards: it revokes rules in the same groups.
            await AddBaselineAsync(ctx, r);
            await pipeline.DisposeAsync();
        }
        return (r, pipeline, events);
    }

    /// <summary>The same calls bare, for the same event count, in the same process and emulators, on a fresh table and queue.</summary>
    public static async Task AddBaselineAsync(BenchContext ctx, ScenarioResult r)
    {
        if (!ctx.Options.Baseline || r.Events <= 1 || r.Name.StartsWith("idle", StringComparison.Ordinal))
        {
            return;
        }
        r.BaselineSameCalls = await BaselineAsync(ctx, r.Events);
        r.OverheadRatioSameCalls = r.PipelineSeconds / r.BaselineSameCalls.Seconds;
    }

    /// <summary>Signed approve clicks through the Slack endpoint, each from the message that shows its request, for every request of a finished burst, then the applies.</summary>
    public static async Task<ScenarioResult> RunApprovalsAsync(BenchContext ctx, Pipeline pipeline, IReadOnlyList<EventSpec> events)
    {
        var name = $"approvals-{events.Count}";
        Console.Error.WriteLine($"[{name}] clicking…");
        await ctx.Stubs.ResetAsync();
        ctx.Aws.Stats.Reset();
        pipeline.Storage.Reset();
        pipeline.Slack.Reset();
        var t = pipeline.Timeline;
        var decisions = pipeline.Decisions;
        var ids = events.Select(e => RequestId.For(e.EventId)).ToArray();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clickMs = new ConcurrentBag<double>();
        using var sampler = new WorkingSetSampler();
        var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        var clickStart = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var cpuBefore = ProcessCpu.Snapshot();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.IntakeConcurrency }, async (id, ct) =>
        {
            var message = await pipeline.ApproverMessageAsync(id, ct);
            var body = ClickBody(ActionIds.Approve, id, Pipeline.Approver, message?.Channel ?? "CAPPROVERS", message?.Ts ?? "1001.000100");
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var s = Stopwatch.GetTimestamp();
            clickStart[id] = s;
            var result = await decisions.HandleAsync(Encoding.UTF8.GetBytes(body), ts.ToString(CultureInfo.InvariantCulture), Sign(body, ts), ct);
            var done = Stopwatch.GetTimestamp();
            t.ClickAck[id] = done;
            clickMs.Add(Ms(s, done));
            outcomes.AddOrUpdate(result.Outcome.ToString(), 1, (_, n) => n + 1);
        });
        var approved = outcomes.GetValueOrDefault("Approved");
        // Applies are effects of the approvals, performed from the effects queue: done when no approved request is left Approved.
        await WaitAsync(() => pipeline.RowsByStatusAsync().GetAwaiter().GetResult().GetValueOrDefault("Approved") == 0, pipeline.Pump!);
        var appliesDone = Stopwatch.GetTimestamp();
        await WaitIdleAsync(pipeline.Pump!);
        var allDone = Stopwatch.GetTimestamp();
        var allocAfter = GC.GetTotalAllocatedBytes(precise: true);

        var r = new ScenarioResult { Name = name, Events = ids.Length, Aws = ctx.AwsMode };
        r.IntakeStatuses = new(outcomes);
        r.IntakeAckMs = Percentiles.Of(clickMs);
        r.EventToRevertMs = Percentiles.Of(ids.Where(id => t.WriteDone.ContainsKey("apply:" + id)).Select(id => Ms(clickStart[id], t.WriteDone["apply:" + id])));
        r.PipelineSeconds = Sec(start, appliesDone);
        r.AllDoneSeconds = Sec(start, allDone);
        r.EventsPerSecond = ids.Length / r.PipelineSeconds;
        var rows = await pipeline.RowsByStatusAsync();
        r.RowsByStatus = rows;
        r.RowsStored = rows.GetValueOrDefault(nameof(RequestStatus.Applied));
        r.StsPerAccount = ctx.Workload.Accounts.ToDictionary(a => a, a => pipeline.StsCalls.For(a));
        var writes = ids.Select(id => t.Writes.GetValueOrDefault("apply:" + id)).ToArray();
        r.Ec2WritesPerEvent = new MinMaxMean(writes.Min(), writes.Max(), writes.Average());
        r.AwsHttpCalls = ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.StorageCalls = pipeline.Storage.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.SlackCalls = pipeline.Slack.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        var stub = await ctx.Stubs.CountsAsync();
        r.SlackStubRequests = stub.Slack.Values.Sum();
        r.SlackCallsPerRequest = (double)r.SlackStubRequests / ids.Length;
        r.CpuSeconds = ProcessCpu.Since(cpuBefore);
        r.SlackPostsPerRequest = (double)stub.Slack.Where(kv => kv.Key.Contains("postMessage", StringComparison.Ordinal)).Sum(kv => kv.Value) / ids.Length;
        r.AllocatedBytesPerEvent = (allocAfter - allocBefore) / ids.Length;
        r.PeakWorkingSetMb = sampler.PeakMb;
        r.Failed = pipeline.Pump!.Failed.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.Poisoned = pipeline.Pump.Poisoned.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.ErrorSamples = pipeline.Pump.Errors.Take(5).ToList();
        Console.Error.WriteLine($"[{name}] applies {r.PipelineSeconds:F2} s, applied {r.RowsStored}/{ids.Length}");
        return r;
    }

    /// <summary>
    /// The revert path's calls issued bare with the SDKs, in the pipeline's order and at the pipeline's concurrency.
    /// Per event: approved-state read, DescribeSecurityGroupRules, revoke by rule id, request insert with its outcome,
    /// notification enqueue (no re-read: an approval settles its race with the revoke). Inline (the intake reverts):
    /// those five at the intake's concurrency. Queue: the intake's enqueue at the intake's concurrency, then one
    /// receive loop as the host runs it (batchSize messages at a time, the next batch when no more than newBatchThreshold
    /// run), the five calls and the message delete. The approved state and the groups' rules are real (onboarded
    /// beforehand, outside the timing). No parsing, no domain objects, no DI, no logging. Its per-event call counts are
    /// printed next to the pipeline's.
    /// </summary>
    public static async Task<BaselineResult> BaselineAsync(BenchContext ctx, int count)
    {
        var events = await ctx.Workload.NewEventsAsync(count);
        var parsed = events.Select(e => CloudTrailParser.Parse(Workload.EnvelopeFor(ctx.Template, e).AsSpan())).ToArray();
        var rowsJson = parsed.Select(p => p.TryGetChange(out var c) ? BridgeJson.Serialize(ChangeRequest.Open(RequestId.For(c.EventId), c, DateTimeOffset.UtcNow)) : "{}").ToArray();
        var messages = parsed.Select(p => p.TryGetChange(out var c) ? BridgeJson.Serialize(c) : "").ToArray();
        var stats = new CallStats();
        var timeline = new Timeline();
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(new StorageCountingPolicy("table", stats, timeline), Azure.Core.HttpPipelinePosition.PerRetry);
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        queueOptions.AddPolicy(new StorageCountingPolicy("queue", stats, timeline), Azure.Core.HttpPipelinePosition.PerRetry);
        var tables = new TableServiceClient(ctx.StorageConnectionString, tableOptions);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var requests = tables.GetTableClient("BaseRequests" + suffix);
        var groups = tables.GetTableClient("BaseGroups" + suffix);
        await requests.CreateIfNotExistsAsync();
        await groups.CreateIfNotExistsAsync();
        var queues = new QueueServiceClient(ctx.StorageConnectionString, queueOptions);
        var changes = queues.GetQueueClient("sgbridge-bare-changes-" + suffix);
        var notifications = queues.GetQueueClient("sgbridge-bare-notifications-" + suffix);
        await changes.CreateIfNotExistsAsync();
        await notifications.CreateIfNotExistsAsync();
        using var sts = Workload.StsClient(ctx.AwsUrl);
        var clients = new Dictionary<string, IAmazonEC2>(StringComparer.Ordinal);
        foreach (var account in events.Select(e => e.Account).Distinct())
        {
            clients[account] = await Workload.Ec2ClientAsync(sts, ctx.AwsUrl, account);
        }
        // The approved state, one row per group, as onboarding leaves it (outside the timing).
        foreach (var g in events.Select(e => (e.Account, e.GroupId)).Distinct())
        {
            await groups.UpsertEntityAsync(new TableEntity($"{g.Account}-{Workload.Region}", g.GroupId) { ["Kind"] = "approved", ["Json"] = "{\"rules\":[]}" });
        }
        var byId = events.Select((e, i) => (e, i)).ToDictionary(x => x.e.EventId, x => x.i, StringComparer.Ordinal);
        ctx.Aws.Stats.Reset();
        stats.Reset();

        // The revert itself: what ChangeProcessor and GroupReconciler call for an add event, lease-free, written once.
        async Task RevertAsync(int i)
        {
            var e = events[i];
            var ec2 = clients[e.Account];
            var id = RequestId.For(e.EventId);
            var partition = $"{e.Account}-{Workload.Region}";
            var read = await groups.GetEntityIfExistsAsync<TableEntity>(partition, e.GroupId);
            await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [e.GroupId])], MaxResults = 1000 });
            await ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = e.GroupId, SecurityGroupRuleIds = [e.RuleId] });
            if (read.Value is null)
            {
                throw new InvalidOperationException("The bare run's group has no approved state: it was onboarded beforehand.");
            }
            await requests.AddEntityAsync(new TableEntity(id, "request") { ["Status"] = "Pending", ["Json"] = rowsJson[i] });
            await notifications.SendMessageAsync(BridgeJson.Serialize(new { RequestId = id, Status = "Pending" }));
        }

        var cpuBefore = ProcessCpu.Snapshot();
        var start = Stopwatch.GetTimestamp();
        if (ctx.Inline)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.IntakeConcurrency }, async (i, ct) =>
            {
                timeline.Path.Value = "intake";
                await RevertAsync(i);
            });
        }
        else
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.IntakeConcurrency }, async (i, ct) =>
            {
                timeline.Path.Value = "intake";
                await changes.SendMessageAsync(messages[i], ct);
            });
            var done = 0;
            var running = new List<Task>();
            while (Volatile.Read(ref done) < count)
            {
                running.RemoveAll(x => x.IsCompleted);
                if (running.Count > ctx.Host.NewBatchThreshold)
                {
                    await Task.WhenAny(running);
                    continue;
                }
                timeline.Path.Value = "poll";
                var batch = (await changes.ReceiveMessagesAsync(ctx.Host.BatchSize, TimeSpan.FromMinutes(10))).Value;
                if (batch.Length == 0)
                {
                    await Task.WhenAny(running.Append(Task.Delay(QueuePump.MinPoll)));
                    continue;
                }
                foreach (var m in batch)
                {
                    running.Add(Task.Run(async () =>
                    {
                        timeline.Path.Value = "revert";
                        var change = QueuePayload.Decode<SecurityGroupChange>(m.MessageText);
                        await RevertAsync(byId[change.EventId]);
                        await changes.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                        Interlocked.Increment(ref done);
                    }));
                }
            }
            await Task.WhenAll(running);
        }
        var seconds = Sec(start, Stopwatch.GetTimestamp());
        var cpu = ProcessCpu.Since(cpuBefore);
        timeline.Path.Value = "setup";
        foreach (var c in clients.Values)
        {
            c.Dispose();
        }
        await changes.DeleteAsync();
        await notifications.DeleteAsync();
        return new BaselineResult($"same calls bare (revert path, {(ctx.Inline ? "inline" : "queue")})", seconds, count / seconds,
            ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs)),
            stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs)), cpu);
    }

    private static async Task WaitAsync(Func<bool> done, QueuePump pump)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        var nextReport = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > nextReport)
            {
                // A stalled run says where it stands instead of waiting silently.
                Console.Error.WriteLine($"  … waiting: handled {string.Join(",", pump.Handled.Select(kv => kv.Key + "=" + kv.Value))}; failed {string.Join(",", pump.Failed.Select(kv => kv.Key + "=" + kv.Value))}; in flight {pump.InFlight}; errors: {string.Join(" | ", pump.Errors.Reverse().Take(2))}");
                nextReport = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"The pipeline did not finish within {DrainTimeout}. Errors: {string.Join(" | ", pump.Errors.Take(5))}");
            }
            await Task.Delay(5);
        }
    }

    private static async Task WaitIdleAsync(QueuePump pump)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!await pump.IsIdleAsync())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("The queues did not drain.");
            }
            await Task.Delay(50);
        }
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static double Sec(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;

    /// <summary>As Tests/Fakes/SlackSigning: v0= hex HMAC-SHA256(secret, "v0:{ts}:{body}").</summary>
    public static string Sign(string body, long timestamp) =>
        "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Pipeline.SigningSecret), Encoding.UTF8.GetBytes($"v0:{timestamp.ToString(CultureInfo.InvariantCulture)}:{body}")));

    /// <summary>A block_actions form body, as Tests/Fakes/SlackSigning.ClickBody builds it.</summary>
    public static string ClickBody(string actionId, string requestId, string userId, string channel, string messageTs)
    {
        var payload = $$"""
            {"type":"block_actions","user":{"id":"{{userId}}","username":"approver","name":"approver","team_id":"T0001"},
             "api_app_id":"A0001","token":"legacy","trigger_id":"1.2.3","team":{"id":"T0001","domain":"acme"},
             "container":{"type":"message","message_ts":"{{messageTs}}","channel_id":"{{channel}}","is_ephemeral":false},
             "channel":{"id":"{{channel}}","name":"sg-approvals"},"message":{"type":"message","ts":"{{messageTs}}","text":"x"},
             "response_url":"https://hooks.slack.com/actions/T0001/1/abc",
             "actions":[{"action_id":"{{actionId}}","block_id":"sgbridge_decision","value":"{{requestId}}","type":"button","action_ts":"1700000000.1"}]}
            """;
        return "payload=" + Uri.EscapeDataString(payload);
    }
}

/// <summary>Samples this process's working set every 50 ms while alive.</summary>
public sealed class WorkingSetSampler : IDisposable
{
    private readonly Timer _timer;
    private long _peak;

    public WorkingSetSampler()
    {
        _timer = new Timer(_ => Sample(), null, 0, 50);
    }

    public double PeakMb
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak) / (1024.0 * 1024.0);
        }
    }

    private void Sample()
    {
        using var p = Process.GetCurrentProcess();
        var ws = p.WorkingSet64;
        long current;
        while (ws > (current = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, ws, current) != current)
        {
        }
    }

    public void Dispose() => _timer.Dispose();
}
