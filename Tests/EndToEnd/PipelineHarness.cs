using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.FunctionApp;
using SgBridge.FunctionApp.Functions;
using SgBridge.Local;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// The end-to-end tests' view of the one local host (<see cref="LocalBridge"/>): the bridge composed by AddSgBridge
/// behind Kestrel on the app's routes, with real Azurite queues and tables (this collection's), the real AWS SDK
/// against moto (the collection's, <see cref="LocalAwsMode.Endpoint"/>), and the real Slack client against a WireMock
/// Slack. Events and clicks are HTTP requests to the host's routes; <see cref="PumpAsync"/> is the host's own queue
/// triggers run to quiescence (<see cref="LocalBridge.DrainAsync"/>: host.json's retry-then-poison, released
/// messages visible again at once); timers are run by the host's function catalogue. Nothing here composes the bridge.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string ApproversChannel = "CAPPROVERS";
    public const string MonitoringChannel = "CMONITOR";
    public const string Approver = "UAPPROVER1";
    private const int MaxDequeueCount = 5;

    private static readonly string[] QueueNamesToPump = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    private readonly QueueServiceClient _queues;
    private readonly HttpClient _http;
    private LocalBridge _bridge = null!;

    /// <summary>Onboarding (`sgbridge baseline`): the account's groups in the region, as they stand, become their approved state.</summary>
    public Task<SgBridge.Shared.Reconcile.BaselineSummary> OnboardAsync() =>
        Services.GetRequiredService<SgBridge.Shared.Reconcile.BaselineService>().BaselineAsync(Account, Region, force: false, CancellationToken.None);

    private PipelineHarness(AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? overrides)
    {
        Account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        Slack = WireMockServer.Start();
        StubSlack();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:RequestsTable"] = azurite.UniqueTableName("req"),
            ["Storage:GroupsTable"] = azurite.UniqueTableName("snap"),
            ["Storage:SlackTable"] = azurite.UniqueTableName("slack"),
            ["Policy:AllowedAccounts"] = Account,
            ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
            ["Slack:SigningSecret"] = SlackSigning.Secret,
            ["Slack:ApproversChannel"] = ApproversChannel,
            ["Slack:MonitoringChannel"] = MonitoringChannel,
            ["Slack:ApproverUserIds"] = Approver + ",UAPPROVER2",
            ["Slack:BaseUrl"] = Slack.Url + "/api/",
            ["Slack:BatchRenderDelay"] = "00:00:00",
            ["Slack:BatchDecisionRenderDelay"] = "00:00:00",
            // Differences no event explains are settled at once, and the sweep covers the harness's region every minute.
            ["Reconcile:SettleDelay"] = "00:00:00",
            ["Reconcile:Regions"] = Region,
            ["Reconcile:Interval"] = "00:01:00",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            // "{account}" in an override stands for the harness's own (random) account id.
            settings[key] = value?.Replace("{account}", Account, StringComparison.Ordinal);
        }
        _settings = settings;
        _queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        // EventBridge and Slack send no traceparent: the host's request starts the trace.
        _http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator() });
    }

    /// <summary>Starts the local host for one test: this collection's Azurite and moto, a WireMock Slack, <paramref name="time"/> as the bridge's clock.</summary>
    public static async Task<PipelineHarness> StartAsync(AzuriteFixture azurite, MotoFixture moto, IReadOnlyDictionary<string, string?>? overrides = null, TimeProvider? time = null)
    {
        var harness = new PipelineHarness(azurite, overrides);
        try
        {
            var options = new LocalBridgeOptions
            {
                StorageConnectionString = azurite.ConnectionString,
                Aws = LocalAwsMode.Endpoint,
                AwsEndpoint = moto.Url,
                SigningSecret = SlackSigning.Secret,
                QueueTriggers = false,
                TimerTriggers = false,
                // host.json (a batch of 16 handled concurrently), except that a failed try is visible again at once (the
                // drain retries without waiting). Concurrent deliveries of one request's effects post once: the render
                // claims a batch's first post on its thread row before calling Slack.
                Host = HostSettings.Embedded() with { VisibilityTimeout = TimeSpan.Zero, MaxDequeueCount = MaxDequeueCount, NewBatchThreshold = 0 },
                ConfigureLogging = _ => { },
                ConfigureServices = services =>
                {
                    if (time is not null)
                    {
                        services.Replace(ServiceDescriptor.Singleton(time));
                    }
                    // The bridge's own Table client, with every request recorded (see TableRequests).
                    var tableOptions = new Azure.Data.Tables.TableClientOptions();
                    tableOptions.AddPolicy(harness.TableRequests, Azure.Core.HttpPipelinePosition.PerRetry);
                    services.Replace(ServiceDescriptor.Singleton(new Azure.Data.Tables.TableServiceClient(azurite.ConnectionString, tableOptions)));
                },
            };
            foreach (var (key, value) in harness._settings)
            {
                options.Settings[key] = value;
            }
            harness._bridge = await LocalBridge.StartAsync(options);
            return harness;
        }
        catch
        {
            harness.Slack.Stop();
            harness.Slack.Dispose();
            harness._http.Dispose();
            throw;
        }
    }

    /// <summary>The one local host the test runs on.</summary>
    public LocalBridge Bridge => _bridge;

    public string Account { get; }

    /// <summary>Every request the bridge sent to Table Storage (clear it to look at one stretch of work).</summary>
    public TableRequestLog TableRequests { get; } = new();

    public WireMockServer Slack { get; }

    public IServiceProvider Services => _bridge.Services;

    public IRequestStore Requests => Services.GetRequiredService<IRequestStore>();

    public ISlackThreadStore Threads => Services.GetRequiredService<ISlackThreadStore>();

    /// <summary>The approvers' message that shows a request (where its buttons are), from the Slack state table.</summary>
    public async Task<Shared.Domain.SlackMessageRef?> ApproverMessageAsync(string requestId)
    {
        var request = await Requests.GetAsync(requestId, CancellationToken.None);
        return request is null ? null : (await Shared.Slack.SlackThreadLookup.FindBatchOfAsync(Threads, request.Value, CancellationToken.None))?.Thread?.Value.ApproverMessage;
    }

    /// <summary>Empties the bridge's queues so a test starts clean (the queue names are fixed).</summary>
    public async Task ResetQueuesAsync()
    {
        foreach (var name in QueueNamesToPump.Concat(QueueNamesToPump.Select(QueueNames.Poison)))
        {
            var q = _queues.GetQueueClient(name);
            await q.CreateIfNotExistsAsync();
            await q.ClearMessagesAsync();
        }
    }

    /// <summary>The app settings the host runs with (Section:Name): the harness's over the local host's defaults.</summary>
    public IReadOnlyDictionary<string, string?> Settings => _bridge?.Settings ?? _settings;

    private readonly Dictionary<string, string?> _settings;


    /// <summary>Fires the sweep timer as the host would.</summary>
    public Task SweepTimerAsync() => _bridge.RunAsync(nameof(SweepForDrift));

    /// <summary>Hands the changes waiting on the queue to the revert function all at once, as concurrent host instances would.</summary>
    public async Task<int> RevertConcurrentlyAsync()
    {
        var queue = _queues.GetQueueClient(QueueNames.Changes);
        QueueMessage[] batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(60))).Value;
        await Task.WhenAll(batch.Select(m => Task.Run(async () =>
        {
            await _bridge.RunAsync(nameof(RevertChange), m.MessageText);
            await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        })));
        return batch.Length;
    }

    /// <summary>An EC2 client acting as a person in the test account (same assumed credentials as the bridge, as moto keys state by account).</summary>
    public async Task<AmazonEC2Client> PersonEc2Async()
    {
        var cache = Services.GetRequiredService<AssumedRoleCredentialCache>();
        var c = (await cache.GetAsync(Account, CancellationToken.None)).Credentials;
        var options = Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Shared.Options.AwsOptions>>().Value;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKey, c.SecretKey, c.Token), Ec2SecurityGroupClientFactory.BuildConfig(options, Region));
    }

    public static async Task<string> CreateGroupAsync(AmazonEC2Client ec2, string name)
    {
        var vpc = await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" });
        return (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name, Description = "e2e", VpcId = vpc.Vpc.VpcId })).GroupId;
    }

    public static async Task<List<Amazon.EC2.Model.SecurityGroupRule>> IngressAsync(AmazonEC2Client ec2, string groupId) =>
        (await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [groupId])] }))
            .SecurityGroupRules.Where(r => r.IsEgress != true).ToList();

    /// <summary>POSTs an event to the host's intake route as EventBridge's API destination would; returns the HTTP status and body.</summary>
    public async Task<(int Status, string Body)> PostEventAsync(JsonNode evt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _bridge.AwsEventsUrl)
        {
            Content = new StringContent(evt.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "Amazon/EventBridge/ApiDestinations");
        request.Headers.Add(Routes.FunctionKeyHeader, _bridge.FunctionKey);
        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A Slack button click on the approvers' message that shows the request, signed with the signing secret as Slack signs it.</summary>
    public async Task<int> ClickAsync(string actionId, string requestId, string user = Approver, string? secret = null)
    {
        var message = await ApproverMessageAsync(requestId);
        var body = SlackSigning.ClickBody(actionId, requestId, user, message?.Channel ?? ApproversChannel, message?.Ts ?? "1001.000100");
        return (await PostSlackAsync(Routes.SlackInteractions, body, secret: secret)).Status;
    }

    /// <summary>POSTs a form body to a Slack route of the host, signed as Slack signs it (at <paramref name="at"/>, default now).</summary>
    public async Task<(int Status, string Body)> PostSlackAsync(string route, string body, long? at = null, string? secret = null)
    {
        var ts = at ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_bridge.BaseUrl, $"{_bridge.Host.RoutePrefix}/{route}"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("X-Slack-Request-Timestamp", ts.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Slack-Signature", SlackSigning.Sign(body, ts, secret ?? SlackSigning.Secret));
        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A Slack POST's answer as the tests read it: the status, and the JSON body when there is one.</summary>
    public async Task<(int Status, JsonObject? Body)> PostSlackJsonAsync(string route, string body, string? secret = null)
    {
        var (status, text) = await PostSlackAsync(route, body, secret: secret);
        return (status, string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>
    /// The host's queue triggers on the changes, effects and reconcile queues, run until every one is empty: a failure
    /// leaves the message to be tried again; after host.json's maxDequeueCount tries it goes to the poison queue
    /// (whose readers are not run here). Returns the messages poisoned.
    /// </summary>
    public async Task<int> PumpAsync()
    {
        var drained = await _bridge.DrainAsync(QueueNamesToPump, maxRounds: 2000);
        return drained.Drained ? drained.Poisoned : throw new InvalidOperationException("The queues did not drain in 2000 rounds.");
    }

    public async Task<int> QueueLengthAsync(string name) =>
        (await _queues.GetQueueClient(name).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>The JSON bodies the bridge sent to a Slack Web API method, in order.</summary>
    public List<JsonObject> SlackCalls(string method) =>
        Slack.LogEntries
            .Where(e => e.RequestMessage.Path == "/api/" + method)
            .OrderBy(e => e.RequestMessage.DateTime)
            .Select(e => JsonNode.Parse(e.RequestMessage.Body!)!.AsObject())
            .ToList();

    private void StubSlack()
    {
        // chat.postMessage answers with the channel it was given and a ts that is unique per call, like Slack.
        var counter = 0;
        Slack.Given(Request.Create().WithPath("/api/chat.postMessage").UsingPost())
            .RespondWith(Response.Create().WithCallback(req =>
            {
                var body = JsonNode.Parse(req.Body!)!;
                var ts = $"17000000{Interlocked.Increment(ref counter):D2}.000100";
                return new WireMock.ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new WireMock.Util.BodyData
                    {
                        BodyAsString = new JsonObject { ["ok"] = true, ["channel"] = (string?)body["channel"], ["ts"] = ts }.ToJsonString(),
                        DetectedBodyType = WireMock.Types.BodyType.String,
                    },
                };
            }));
        Slack.Given(Request.Create().WithPath("/api/chat.update").UsingPost())
            .RespondWith(Response.Create().WithCallback(req =>
            {
                var body = JsonNode.Parse(req.Body!)!;
                return new WireMock.ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new WireMock.Util.BodyData
                    {
                        BodyAsString = new JsonObject { ["ok"] = true, ["channel"] = (string?)body["channel"], ["ts"] = (string?)body["ts"] }.ToJsonString(),
                        DetectedBodyType = WireMock.Types.BodyType.String,
                    },
                };
            }));
        Slack.Given(Request.Create().WithPath("/api/chat.postEphemeral").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true,\"message_ts\":\"1.2\"}"));
        Slack.Given(Request.Create().WithPath("/api/users.lookupByEmail").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true,\"user\":{\"id\":\"UREQUESTER\"}}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _bridge.DisposeAsync();
        _http.Dispose();
        Slack.Stop();
        Slack.Dispose();
    }
}
