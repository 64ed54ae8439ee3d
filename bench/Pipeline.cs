using Amazon.Runtime;
using Amazon.SecurityToken;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SgBridge.Shared;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

using SgBridge.Emulators;

namespace SgBridge.Bench;

/// <summary>
/// One scenario's bridge: the real <c>AddSgBridge</c> composition with only the seams a host or a test would set —
/// the storage clients get a counting pipeline policy, the STS client gets emulator keys, the EC2 client factory is
/// wrapped by an observer, the Slack HttpClient gets a counting handler — and a queue pump that calls the same
/// services the queue triggers call. Fresh tables per scenario, so stored rows can be counted exactly.
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    public const string SigningSecret = "bench-signing-secret-0123456789abcdef";
    public const string Approver = "UAPPROVER1";

    private Pipeline(ServiceProvider services, string requestsTable, Timeline timeline, CallStats storage, CallStats slack, FormattingNullLoggerProvider logs)
    {
        Logs = logs;
        Services = services;
        RequestsTable = requestsTable;
        Timeline = timeline;
        Storage = storage;
        Slack = slack;
    }

    public ServiceProvider Services { get; }

    /// <summary>The suffix of this pipeline's table names (the cold-start child reopens the same tables).</summary>
    public string Suffix { get; private init; } = "";

    public string RequestsTable { get; }

    public Timeline Timeline { get; }

    public CallStats Storage { get; }

    public CallStats Slack { get; }

    public QueuePump? Pump { get; private set; }

    /// <summary>The log lines the bridge wrote at host.json's levels (formatted, then dropped).</summary>
    public FormattingNullLoggerProvider Logs { get; }

    public static Pipeline Build(BenchContext ctx, string scenario, string? tableSuffix = null)
    {
        var suffix = tableSuffix ?? scenario.Replace("-", "", StringComparison.Ordinal) + Guid.NewGuid().ToString("N")[..8];
        var requestsTable = "Requests" + suffix;
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = ctx.StorageConnectionString,
            ["Storage:RequestsTable"] = requestsTable,
            ["Storage:GroupsTable"] = "Groups" + suffix,
            ["Storage:SlackTable"] = "Slack" + suffix,
            ["Aws:RoleArnPattern"] = Workload.RoleArnPattern,
            ["Aws:AuthMode"] = "AssumeRole",
            ["Aws:ExternalId"] = Workload.ExternalId,
            ["Aws:StsEndpoint"] = ctx.AwsUrl,
            ["Aws:Ec2Endpoint"] = ctx.AwsUrl,
            ["Policy:AllowedAccounts"] = string.Join(",", ctx.Workload.Accounts),
            ["Processing:MaxDequeueCount"] = ctx.Host.MaxDequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Slack:BotToken"] = "xoxb-bench",
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:ApproversChannel"] = "CAPPROVERS",
            ["Slack:MonitoringChannel"] = "CMONITORING",
            ["Slack:ApproverUserIds"] = Approver,
            // One click per approval, as before: the bench measures throughput, not the two-approver rule.
            ["Slack:UnresolvedRequester"] = "Allow",
            ["Slack:BaseUrl"] = ctx.SlackUrl,
            ["Intake:RevertInline"] = ctx.Inline ? "true" : "false",
        }.Concat(ctx.Options.InlineBudgetMs is { } budget
            ? [
                new KeyValuePair<string, string?>("Intake:InlineBudget", TimeSpan.FromMilliseconds(budget).ToString("c", System.Globalization.CultureInfo.InvariantCulture)),
                // The rest of the 4 s the intake may take goes to the enqueue (Intake:InlineBudget + EnqueueTimeout ≤ 4 s).
                new KeyValuePair<string, string?>("Intake:EnqueueTimeout", TimeSpan.FromMilliseconds(Math.Max(100, 4000 - budget)).ToString("c", System.Globalization.CultureInfo.InvariantCulture)),
              ]
            : Array.Empty<KeyValuePair<string, string?>>()).Concat(ctx.Options.SlackBatchWindow is { } window
            // Only when asked: an unset option must leave the app's own default in force.
            ? [new KeyValuePair<string, string?>("Slack:BatchWindow", window.ToString("c", System.Globalization.CultureInfo.InvariantCulture))]
            : []).ToDictionary()).Build();

        var timeline = new Timeline();
        var storage = new CallStats();
        var slack = new CallStats();
        var services = new ServiceCollection();
        // host.json's levels: Information by default, Microsoft and Azure.Core at Warning.
        var logs = new FormattingNullLoggerProvider();
        services.AddLogging(b => b.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning).AddFilter("Azure.Core", LogLevel.Warning));

        // Seams registered before AddSgBridge, which only TryAdds these.
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(new StorageCountingPolicy("table", storage, timeline), Azure.Core.HttpPipelinePosition.PerRetry);
        services.AddSingleton(new TableServiceClient(ctx.StorageConnectionString, tableOptions));
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        queueOptions.AddPolicy(new StorageCountingPolicy("queue", storage, timeline), Azure.Core.HttpPipelinePosition.PerRetry);
        services.AddSingleton(new QueueServiceClient(ctx.StorageConnectionString, queueOptions));
        services.AddSingleton<IAmazonSecurityTokenService>(_ => Workload.StsClient(ctx.AwsUrl));
        services.AddSingleton<IWebIdentityTokenSource, NoWebIdentity>();
        services.AddSingleton<Ec2SecurityGroupClientFactory>();
        services.AddSingleton<ISecurityGroupClientFactory>(sp => new ObservingClientFactory(sp.GetRequiredService<Ec2SecurityGroupClientFactory>(), timeline));

        services.AddSgBridge(config);
        services.ConfigureHttpClientDefaults(b => b.AddHttpMessageHandler(() => new SlackCountingHandler(slack)));
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        // Listening from the start, so onboarding's STS calls count too.
        return new Pipeline(provider, requestsTable, timeline, storage, slack, logs) { Suffix = suffix, StsCalls = new StsCallListener(provider.GetRequiredService<BridgeTelemetry>()) };
    }

    /// <summary>
    /// Onboarding, as `sgbridge baseline` / a baseline command on the reconcile queue does it: BaselineService records
    /// every group's current rules of each account (one region) as approved. Events then reconcile against that state.
    /// </summary>
    public async Task<int> OnboardAsync(IEnumerable<string> accounts, string region, CancellationToken ct)
    {
        Timeline.Path.Value = "onboard";
        // The deployment creates the tables (bicep/main.bicep: tableNames), so the bench does too before the timed
        // window: the bridge creates a table only when a write finds it missing, which a deployed app never sees.
        var tables = Services.GetRequiredService<TableServiceClient>();
        foreach (var table in new[] { RequestsTable, "Slack" + Suffix })
        {
            await tables.GetTableClient(table).CreateIfNotExistsAsync(ct);
        }
        var baseline = Services.GetRequiredService<BaselineService>();
        var recorded = 0;
        foreach (var account in accounts)
        {
            recorded += (await baseline.BaselineAsync(account, region, force: false, ct)).Recorded;
        }
        Timeline.Path.Value = null;
        return recorded;
    }

    /// <summary>
    /// Starts the host-like pump on the changes and notifications queues (and applies, for the approvals scenario),
    /// calling what RevertChange, NotifySlack and ApplyApproved call. The reconcile queue is not pumped: its settle checks
    /// are scheduled Reconcile:SettleDelay (60 s) ahead, after a scenario ends; they are counted when enqueued.
    /// </summary>
    public async Task StartPumpAsync(BenchContext ctx)
    {
        var processor = Services.GetRequiredService<ChangeProcessor>();
        var effects = Services.GetRequiredService<EffectsWorker>();
        var t = Timeline;
        var handlers = new Dictionary<string, (string Path, Func<QueueMessage, CancellationToken, Task> Handler)>
        {
            [QueueNames.Changes] = ("revert", async (message, ct) =>
            {
                var change = QueuePayload.Decode<SecurityGroupChange>(message.MessageText);
                t.Dequeued.TryAdd(change.EventId, System.Diagnostics.Stopwatch.GetTimestamp());
                t.Current.Value = change.EventId;
                var outcome = await processor.ProcessAsync(change, message.DequeueCount, ct);
                t.Outcomes.AddOrUpdate(outcome.ToString(), 1, static (_, n) => n + 1);
                t.ProcessDone.TryAdd(change.EventId, System.Diagnostics.Stopwatch.GetTimestamp());
            }),
        };
        if (ctx.SlackOn)
        {
            handlers[QueueNames.Effects] = ("notify", (message, ct) =>
            {
                // The effects queue (NudgeEffects): request effects (Slack, and an approval's apply) and batch renders.
                var effect = QueuePayload.Decode<EffectsMessage>(message.MessageText);
                if (effect is RenderBatch)
                {
                    t.Render.Value = true;
                    Interlocked.Increment(ref t.RenderNotifications);
                }
                return effects.HandleAsync(effect, message.DequeueCount, ct);
            });
        }
        // --slack off: the notifications queue is not pumped, so no Slack call and no notification storage work competes
        // with the reverts; the revert path still sends each notification (that send is part of the revert).
        Pump = new QueuePump(Services.GetRequiredService<QueueServiceClient>(), ctx.Host, t, handlers);
        await Pump.StartAsync();
    }

    public EventIntake Intake => Services.GetRequiredService<EventIntake>();

    public SlackInteractionEndpoint Decisions => Services.GetRequiredService<SlackInteractionEndpoint>();

    /// <summary>The approvers' message that shows a request (a click is only honoured from there), if it was posted.</summary>
    public async Task<SlackMessageRef?> ApproverMessageAsync(string requestId, CancellationToken ct)
    {
        var threads = Services.GetRequiredService<ISlackThreadStore>();
        var request = await Services.GetRequiredService<IRequestStore>().GetAsync(requestId, ct);
        return request is null ? null : (await threads.FindBatchOfAsync(request.Value, ct))?.Thread?.Value.ApproverMessage;
    }

    /// <summary>STS calls per account, from the <c>sgbridge.sts.calls</c> metric the credential cache emits.</summary>
    public StsCallListener StsCalls { get; private init; } = null!;

    /// <summary>Counts the stored requests by status (a query over the whole requests table).</summary>
    public async Task<Dictionary<string, int>> RowsByStatusAsync()
    {
        var table = Services.GetRequiredService<TableServiceClient>().GetTableClient(RequestsTable);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var e in table.QueryAsync<TableEntity>(filter: TableRequestStore.RequestRowsFilter, select: ["Status"]))
        {
            var s = e.GetString("Status") ?? "?";
            counts[s] = counts.GetValueOrDefault(s) + 1;
        }
        return counts;
    }

    /// <summary>Every stored request's status, by request id (a query over the whole requests table).</summary>
    public async Task<Dictionary<string, string>> StatusByRequestAsync()
    {
        Timeline.Path.Value = "check";
        var table = Services.GetRequiredService<TableServiceClient>().GetTableClient(RequestsTable);
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var e in table.QueryAsync<TableEntity>(filter: TableRequestStore.RequestRowsFilter, select: ["RowKey", "Status"]))
        {
            statuses[e.RowKey] = e.GetString("Status") ?? "?";
        }
        Timeline.Path.Value = null;
        return statuses;
    }

    public async ValueTask DisposeAsync()
    {
        StsCalls.Dispose();
        if (Pump is not null)
        {
            await Pump.DisposeAsync();
        }
        await Services.DisposeAsync();
    }

    private sealed class NoWebIdentity : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The bench uses AuthMode AssumeRole against the emulator.");
    }
}

/// <summary>
/// Counts STS calls per account as production does: a <see cref="System.Diagnostics.Metrics.MeterListener"/> on the
/// <c>sgbridge.sts.calls</c> counter of this pipeline's own <see cref="BridgeTelemetry"/> (tag <c>account</c>).
/// </summary>
public sealed class StsCallListener : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);

    public StsCallListener(BridgeTelemetry telemetry)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, telemetry.Meter) && instrument.Name == "sgbridge.sts.calls")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == TelemetryTags.Account && tag.Value is string account)
                {
                    _calls.AddOrUpdate(account, value, (_, n) => n + value);
                }
            }
        });
        _listener.Start();
    }

    public long For(string accountId) => _calls.GetValueOrDefault(accountId);

    public void Dispose() => _listener.Dispose();
}
