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
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

using SgBridge.Emulators;

namespace SgBridge.Bench;

public sealed class BenchContext
{
    public required BenchOptions Options { get; init; }
    public required Azurite Azurite { get; init; }
    public required string AwsUrl { get; init; }
    public required string SlackUrl { get; init; }
    public required string AwsMode { get; init; }
    public required StubProcess Stubs { get; init; }
    public required Workload Workload { get; init; }
    public required HostQueueSettings Host { get; init; }
    public required AwsCallCounter Aws { get; init; }
    public required JsonNode Template { get; init; }
}

public static class Scenarios
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Intake → queue → revert → store → Slack for <paramref name="count"/> events; optionally then approvals.</summary>
    public static async Task<(ScenarioResult Result, Pipeline Pipeline, IReadOnlyList<EventSpec> Events)> RunEventsAsync(BenchContext ctx, string name, int count, bool keepPipeline = false)
    {
        Console.Error.WriteLine($"[{name}] preparing {count} events ({ctx.AwsMode})…");
        var events = await ctx.Workload.NewEventsAsync(count);
        var bodies = events.Select(e => Workload.EnvelopeFor(ctx.Template, e)).ToArray();
        var pipeline = Pipeline.Build(ctx, name);
        await pipeline.StartPumpAsync(ctx);
        // Warm the intake path's one-time work (queue creation) outside the measurement, as a running host would have.
        await pipeline.Services.GetRequiredService<IQueueSender>().SendAsync("sgbridge-bench-warmup", new { warm = true }, CancellationToken.None);
        await ctx.Stubs.ResetAsync();
        ctx.Aws.Stats.Reset();
        pipeline.Storage.Reset();
        pipeline.Slack.Reset();

        var t = pipeline.Timeline;
        var intake = pipeline.Intake;
        var statuses = new ConcurrentDictionary<int, int>();
        using var sampler = new WorkingSetSampler();
        var gen0 = GC.CollectionCount(0);
        var gen2 = GC.CollectionCount(2);
        var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.IntakeConcurrency }, async (i, ct) =>
        {
            var e = events[i];
            t.IntakeStart[e.EventId] = Stopwatch.GetTimestamp();
            var result = await intake.AcceptAsync(bodies[i], "application/json; charset=utf-8", ct);
            t.IntakeAck[e.EventId] = Stopwatch.GetTimestamp();
            statuses.AddOrUpdate(result.StatusCode, 1, (_, n) => n + 1);
        });
        var intakeDone = Stopwatch.GetTimestamp();

        await WaitAsync(() => pipeline.Pump!.Handled.GetValueOrDefault(QueueNames.Changes) + pipeline.Pump.Poisoned.GetValueOrDefault(QueueNames.Changes) >= statuses.GetValueOrDefault(202), pipeline.Pump!);
        var revertsDone = Stopwatch.GetTimestamp();
        await WaitIdleAsync(pipeline.Pump!);
        var allDone = Stopwatch.GetTimestamp();
        var allocAfter = GC.GetTotalAllocatedBytes(precise: true);

        var r = new ScenarioResult { Name = name, Events = count, Aws = ctx.AwsMode };
        r.IntakeStatuses = statuses.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value);
        r.IntakeAckMs = Percentiles.Of(events.Select(e => Ms(t.IntakeStart[e.EventId], t.IntakeAck[e.EventId])));
        r.EventToRevertMs = Percentiles.Of(events.Where(e => t.WriteDone.ContainsKey(e.EventId)).Select(e => Ms(t.IntakeStart[e.EventId], t.WriteDone[e.EventId])));
        r.QueueWaitMs = Percentiles.Of(events.Where(e => t.Dequeued.ContainsKey(e.EventId)).Select(e => Ms(t.IntakeAck[e.EventId], t.Dequeued[e.EventId])));
        r.DequeueToRevertMs = Percentiles.Of(events.Where(e => t.WriteDone.ContainsKey(e.EventId)).Select(e => Ms(t.Dequeued[e.EventId], t.WriteDone[e.EventId])));
        var lastProcess = events.Where(e => t.ProcessDone.ContainsKey(e.EventId)).Select(e => t.ProcessDone[e.EventId]).DefaultIfEmpty(revertsDone).Max();
        r.IntakeSeconds = Sec(start, intakeDone);
        r.PipelineSeconds = Sec(start, lastProcess);
        r.AllDoneSeconds = Sec(start, allDone);
        r.EventsPerSecond = count / r.PipelineSeconds;
        r.IntakeEventsPerSecond = count / r.IntakeSeconds;

        var rows = await pipeline.RowsByStatusAsync();
        r.RowsByStatus = rows;
        r.RowsStored = rows.Values.Sum();
        r.StsPerAccount = ctx.Workload.Accounts.ToDictionary(a => a, a => pipeline.Credentials.StsCallCount(a));
        var writes = events.Select(e => t.Writes.GetValueOrDefault(e.EventId)).ToArray();
        r.Ec2WritesPerEvent = new MinMaxMean(writes.Min(), writes.Max(), writes.Average());
        r.AwsHttpCalls = ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.StorageCalls = pipeline.Storage.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.SlackCalls = pipeline.Slack.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.Ec2Client = t.Ec2.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        var stub = await ctx.Stubs.CountsAsync();
        r.SlackStubRequests = stub.Slack.Values.Sum();
        // After the counts are taken: this check's own describes must not count as the pipeline's.
        r.RulesStillPresent = await ctx.Workload.RulesStillPresentAsync(events);
        r.TableOpsPerEvent = (double)pipeline.Storage.Total(k => k.StartsWith("table", StringComparison.Ordinal) && !k.Contains("create", StringComparison.Ordinal)) / count;
        r.QueueOpsPerEvent = (double)pipeline.Storage.Total(k => k.StartsWith("queue", StringComparison.Ordinal) && !k.Contains("admin", StringComparison.Ordinal)) / count;
        r.SlackCallsPerRequest = (double)r.SlackStubRequests / Math.Max(1, r.RowsStored);
        r.SlackPostsPerRequest = (double)stub.Slack.Where(kv => kv.Key.Contains("postMessage", StringComparison.Ordinal)).Sum(kv => kv.Value) / Math.Max(1, r.RowsStored);
        r.AllocatedBytesPerEvent = (allocAfter - allocBefore) / count;
        r.PeakWorkingSetMb = sampler.PeakMb;
        r.Gen0Collections = GC.CollectionCount(0) - gen0;
        r.Gen2Collections = GC.CollectionCount(2) - gen2;
        r.Failed = pipeline.Pump!.Failed.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.Poisoned = pipeline.Pump.Poisoned.ToDictionary(kv => kv.Key, kv => kv.Value);
        r.ErrorSamples = pipeline.Pump.Errors.Take(5).ToList();
        Console.Error.WriteLine($"[{name}] pipeline {r.PipelineSeconds:F2} s, {r.EventsPerSecond:F0} ev/s, rows {r.RowsStored}/{count}");

        if (!keepPipeline)
        {
            // With approvals to follow, the caller runs the baselines afterwards: they revoke rules in the same groups.
            await AddBaselinesAsync(ctx, r);
            await pipeline.DisposeAsync();
        }
        return (r, pipeline, events);
    }

    /// <summary>The bare-call runs for the same event count, side by side in the same process and emulators.</summary>
    public static async Task AddBaselinesAsync(BenchContext ctx, ScenarioResult r)
    {
        if (!ctx.Options.Baseline || r.Events <= 1)
        {
            return;
        }
        r.Baseline = await BaselineAsync(ctx, r.Events, full: false);
        r.BaselineSameCalls = await BaselineAsync(ctx, r.Events, full: true);
        r.OverheadRatio = r.PipelineSeconds / r.Baseline.Seconds;
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
        await WaitAsync(() => pipeline.Pump!.Handled.GetValueOrDefault(QueueNames.Applies) + pipeline.Pump.Poisoned.GetValueOrDefault(QueueNames.Applies) >= approved, pipeline.Pump!);
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
        r.StsPerAccount = ctx.Workload.Accounts.ToDictionary(a => a, a => pipeline.Credentials.StsCallCount(a));
        var writes = ids.Select(id => t.Writes.GetValueOrDefault("apply:" + id)).ToArray();
        r.Ec2WritesPerEvent = new MinMaxMean(writes.Min(), writes.Max(), writes.Average());
        r.AwsHttpCalls = ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.StorageCalls = pipeline.Storage.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        r.SlackCalls = pipeline.Slack.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs));
        var stub = await ctx.Stubs.CountsAsync();
        r.SlackStubRequests = stub.Slack.Values.Sum();
        r.TableOpsPerEvent = (double)pipeline.Storage.Total(k => k.StartsWith("table", StringComparison.Ordinal)) / ids.Length;
        r.QueueOpsPerEvent = (double)pipeline.Storage.Total(k => k.StartsWith("queue", StringComparison.Ordinal) && !k.Contains("admin", StringComparison.Ordinal)) / ids.Length;
        r.SlackCallsPerRequest = (double)r.SlackStubRequests / ids.Length;
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
    /// The same unavoidable calls issued bare with the SDKs, at the pump's concurrency: one STS AssumeRole per account;
    /// per event the request row inserted, one EC2 revoke by rule id, the row replaced with its ETag. With
    /// <paramref name="full"/>, every call the pipeline's revert path makes, in its order (intake enqueue, insert,
    /// snapshot read, describe group + rules, revoke, replace, notification enqueue, describe group + rules, snapshot upsert).
    /// </summary>
    public static async Task<BaselineResult> BaselineAsync(BenchContext ctx, int count, bool full)
    {
        var events = await ctx.Workload.NewEventsAsync(count);
        var parsed = events.Select(e => CloudTrailParser.Parse(Workload.EnvelopeFor(ctx.Template, e).AsSpan())).ToArray();
        var rowsJson = parsed.Select((p, i) => p.TryGetChange(out var c) ? BridgeJson.Serialize(ChangeRequest.Open(RequestId.For(c.EventId), c, DateTimeOffset.UtcNow)) : "{}").ToArray();
        var messages = parsed.Select(p => p.TryGetChange(out var c) ? BinaryData.FromString(Convert.ToBase64String(Encoding.UTF8.GetBytes(BridgeJson.Serialize(c)))) : BinaryData.FromString("")).ToArray();
        var tables = new TableServiceClient(ctx.Azurite.ConnectionString);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var requests = tables.GetTableClient("BaseRequests" + suffix);
        var snapshots = tables.GetTableClient("BaseSnapshots" + suffix);
        await requests.CreateIfNotExistsAsync();
        await snapshots.CreateIfNotExistsAsync();
        var queue = new QueueServiceClient(ctx.Azurite.ConnectionString).GetQueueClient("sgbridge-bench-baseline-" + suffix);
        await queue.CreateIfNotExistsAsync();
        using var sts = Workload.StsClient(ctx.AwsUrl);
        ctx.Aws.Stats.Reset();

        var start = Stopwatch.GetTimestamp();
        var clients = (await Task.WhenAll(ctx.Workload.Accounts.Select(async a => (a, await Workload.Ec2ClientAsync(sts, ctx.AwsUrl, a)))))
            .ToDictionary(x => x.a, x => (IAmazonEC2)x.Item2, StringComparer.Ordinal);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.Receivers * ctx.Options.Batch }, async (i, ct) =>
        {
            var e = events[i];
            var ec2 = clients[e.Account];
            var id = RequestId.For(e.EventId);
            if (full)
            {
                await queue.SendMessageAsync(messages[i], cancellationToken: ct);
            }
            var added = await requests.AddEntityAsync(new TableEntity(id, "request") { ["Status"] = "Reverting", ["Json"] = rowsJson[i] }, ct);
            if (full)
            {
                await snapshots.GetEntityIfExistsAsync<TableEntity>(e.Account, $"{Workload.Region}|{e.GroupId}", cancellationToken: ct);
                await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [e.GroupId] }, ct);
                await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [e.GroupId])] }, ct);
            }
            await ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = e.GroupId, SecurityGroupRuleIds = [e.RuleId] }, ct);
            await requests.UpdateEntityAsync(new TableEntity(id, "request") { ["Status"] = "Pending", ["Json"] = rowsJson[i] }, added.Headers.ETag!.Value, TableUpdateMode.Replace, ct);
            if (full)
            {
                await queue.SendMessageAsync(messages[i], cancellationToken: ct);
                await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [e.GroupId] }, ct);
                var rules = await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [e.GroupId])] }, ct);
                await snapshots.UpsertEntityAsync(new TableEntity(e.Account, $"{Workload.Region}|{e.GroupId}") { ["Json"] = rowsJson[i], ["RuleCount"] = rules.SecurityGroupRules?.Count ?? 0 }, TableUpdateMode.Replace, ct);
            }
        });
        var seconds = Sec(start, Stopwatch.GetTimestamp());
        foreach (var c in clients.Values)
        {
            c.Dispose();
        }
        await queue.DeleteAsync();
        return new BaselineResult(full ? "same calls as the revert path" : "unavoidable calls", seconds, count / seconds,
            ctx.Aws.Stats.Snapshot().ToDictionary(kv => kv.Key, kv => new CallSummary(kv.Value.Count, kv.Value.MeanMs)));
    }

    private static async Task WaitAsync(Func<bool> done, QueuePump pump)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!done())
        {
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
