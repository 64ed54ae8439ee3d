using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Local;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SgBridge.Tests.Faults;

/// <summary>Fault tests get their own Azurite and moto: queue names are fixed, and tests here run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<AzuriteFixture>, ICollectionFixture<MotoFixture>
{
    public const string Name = "Faults";
}

/// <summary>Where Table Storage is for a fault test: Azurite, a port nobody listens on, or a listener that never answers.</summary>
public enum TableFault
{
    None,
    Refused,
    Hanging,
}

/// <summary>
/// The fault tests' view of the one local host (<see cref="LocalBridge"/>, composed by AddSgBridge) on Azurite queues;
/// between the bridge and EC2/STS sits a WireMock server (<see cref="LocalAwsMode.Endpoint"/>) that proxies every call
/// to moto unless a test installs a fault for an action (<see cref="Fail"/>, <see cref="FailTimes"/>,
/// <see cref="LoseResponse"/>); Slack is a WireMock stub. Table Storage is Azurite, or (<see cref="TableFault"/>)
/// unreachable, with the app's own bounded timeouts; the request store can be made to crash between the EC2 call and
/// its write (<see cref="Crash"/>). Both are service replacements over AddSgBridge's graph, nothing re-composed.
/// <see cref="PumpAsync"/> is the host's own queue triggers (poison readers included) run to quiescence.
/// </summary>
public sealed class FaultHarness : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string MonitoringChannel = "CMONITOR";
    public const int MaxDequeueCount = 3;

    /// <summary>Processing:PoisonRedriveDelay here (5 minutes by default): a re-driven change is visible again after it.</summary>
    public static readonly TimeSpan PoisonRedriveDelay = TimeSpan.FromSeconds(5);

    private static readonly string[] Pumped = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly string _requestsTable;
    private readonly string _groupsTable;
    private readonly string _slackTable;
    private readonly QueueServiceClient _queues;
    private readonly TcpListener _deadTables;
    private readonly List<Socket> _held = [];
    private LocalBridge _bridge = null!;

    private FaultHarness(AzuriteFixture azurite, MotoFixture moto)
    {
        _azurite = azurite;
        _moto = moto;
        Account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        (_requestsTable, _groupsTable, _slackTable) = (azurite.UniqueTableName("freq"), azurite.UniqueTableName("fgrp"), azurite.UniqueTableName("fslk"));
        Aws = WireMockServer.Start(new WireMockServerSettings { AllowPartialMapping = false });
        Aws.Given(Request.Create().UsingAnyMethod()).AtPriority(1000).RespondWith(Response.Create().WithProxy(moto.Url));
        Slack = WireMockServer.Start();
        Slack.Given(Request.Create().WithPath("/api/chat.postMessage").UsingPost()).RespondWith(Response.Create().WithCallback(req => Json(new JsonObject
        {
            ["ok"] = true, ["channel"] = (string?)JsonNode.Parse(req.Body!)!["channel"], ["ts"] = $"1700000{Interlocked.Increment(ref _ts):D3}.000100",
        })));
        Slack.Given(Request.Create().WithPath("/api/chat.update").UsingPost()).RespondWith(Response.Create().WithCallback(req => Json(new JsonObject
        {
            ["ok"] = true, ["channel"] = (string?)JsonNode.Parse(req.Body!)!["channel"], ["ts"] = (string?)JsonNode.Parse(req.Body!)!["ts"],
        })));
        Slack.Given(Request.Create().WithPath("/api/users.lookupByEmail").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":false,\"error\":\"users_not_found\"}"));
        _queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        // Accepts connections and never answers: "storage hanging".
        _deadTables = new TcpListener(IPAddress.Loopback, 0);
        _deadTables.Start();
        _ = Task.Run(AcceptForeverAsync);
    }

    /// <summary>Starts the local host for one fault test (Table Storage on Azurite, no fault armed).</summary>
    public static async Task<FaultHarness> StartAsync(AzuriteFixture azurite, MotoFixture moto)
    {
        var harness = new FaultHarness(azurite, moto);
        try
        {
            harness._bridge = await harness.StartBridgeAsync(TableFault.None);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    private int _ts;

    public string Account { get; }

    public WireMockServer Aws { get; }

    public WireMockServer Slack { get; }

    public IServiceProvider Services => _bridge.Services;

    /// <summary>Arm to make the next request write fail as if the worker died between the EC2 call and the table write.</summary>
    public CrashSwitch Crash { get; } = new();

    public BridgeTelemetry Telemetry => Services.GetRequiredService<BridgeTelemetry>();

    /// <summary>Restarts the local host with Table Storage as <paramref name="fault"/> says (queues stay on Azurite).</summary>
    public async Task StorageAsync(TableFault fault)
    {
        await _bridge.DisposeAsync();
        _bridge = await StartBridgeAsync(fault);
    }

    /// <summary>
    /// Restarts the local host with Table Storage and the queues as told (<see cref="TableFault"/> applies to either: a closed
    /// port, or a listener that never answers). <paramref name="appTimeouts"/>: the app's own default per-try timeouts and
    /// retries (Storage:TableNetworkTimeout 3 s, QueueNetworkTimeout 1.5 s, MaxRetries 2) rather than the harness's short ones.
    /// The host's own queue listeners keep reading Azurite: the fault is between the app and storage.
    /// </summary>
    public async Task StorageAsync(TableFault tables, TableFault queues, bool appTimeouts)
    {
        await _bridge.DisposeAsync();
        _bridge = await StartBridgeAsync(tables, queues, appTimeouts);
    }

    /// <summary>
    /// Restarts the local host with Table Storage and the queues reached through <paramref name="tables"/> and
    /// <paramref name="queues"/> (proxies the test switches while the host runs), with the app's own default per-try
    /// timeouts and retries. The host's own queue listeners keep reading Azurite directly.
    /// </summary>
    public async Task StorageAsync(StorageSwitch tables, StorageSwitch queues)
    {
        await _bridge.DisposeAsync();
        _bridge = await StartBridgeAsync(TableFault.None, configure: services => services.Replace(ServiceDescriptor.Singleton(new StorageClients(new SgBridge.Shared.Options.StorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};TableEndpoint={tables.Endpoint};QueueEndpoint={queues.Endpoint};",
        }))));
    }

    /// <summary>A switchable proxy in front of Azurite's table service (<paramref name="hanging"/>: start hanging).</summary>
    public StorageSwitch TableSwitch(bool hanging) => new(_azurite.TableEndpoint, hanging);

    /// <summary>A switchable proxy in front of Azurite's queue service.</summary>
    public StorageSwitch QueueSwitch(bool hanging) => new(_azurite.QueueEndpoint, hanging);

    /// <summary>POSTs an event to the host's intake route as EventBridge's API destination does; the status, the body and how long the answer took.</summary>
    public async Task<(int Status, string Body, TimeSpan Took)> PostEventAsync(JsonNode evt)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, _bridge.AwsEventsUrl)
        {
            Content = new StringContent(evt.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "Amazon/EventBridge/ApiDestinations");
        request.Headers.Add(SgBridge.FunctionApp.Routes.FunctionKeyHeader, _bridge.FunctionKey);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var took = clock.Elapsed;
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), took);
    }

    private string FaultEndpoint(TableFault fault) =>
        $"http://127.0.0.1:{(fault == TableFault.Refused ? ClosedPort() : ((IPEndPoint)_deadTables.LocalEndpoint).Port)}/devstoreaccount1";

    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Task<LocalBridge> StartBridgeAsync(TableFault fault, TableFault queueFault = TableFault.None, bool appTimeouts = false, Action<IServiceCollection>? configure = null)
    {
        var options = new LocalBridgeOptions
        {
            StorageConnectionString = _azurite.ConnectionString,
            Aws = LocalAwsMode.Endpoint,
            AwsEndpoint = Aws.Url,
            SigningSecret = SlackSigning.Secret,
            QueueTriggers = false,
            TimerTriggers = false,
            // host.json, except three tries, and a failed try visible again at once (the drain retries without waiting).
            Host = HostSettings.Embedded() with { VisibilityTimeout = TimeSpan.Zero, MaxDequeueCount = MaxDequeueCount },
            ConfigureLogging = _ => { },
            ConfigureServices = services =>
            {
                if (queueFault != TableFault.None)
                {
                    services.Replace(ServiceDescriptor.Singleton(new StorageClients(new SgBridge.Shared.Options.StorageOptions
                    {
                        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};QueueEndpoint={FaultEndpoint(queueFault)};",
                    }).Queues));
                }
                if (fault != TableFault.None && appTimeouts)
                {
                    services.Replace(ServiceDescriptor.Singleton(new StorageClients(new SgBridge.Shared.Options.StorageOptions
                    {
                        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};TableEndpoint={FaultEndpoint(fault)};",
                    }).Tables));
                }
                else if (fault != TableFault.None)
                {
                    // The table client the stores use, pointed where storage does not answer, built as the app builds it
                    // (StorageClients' bounded per-try timeout and retries; the default group-read deadline), with a 1 s try
                    // and one retry so that the many calls a pumped outage makes stay short.
                    var port = fault == TableFault.Refused ? ClosedPort() : ((IPEndPoint)_deadTables.LocalEndpoint).Port;
                    services.Replace(ServiceDescriptor.Singleton(new StorageClients(new SgBridge.Shared.Options.StorageOptions
                    {
                        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
                        TableNetworkTimeout = TimeSpan.FromSeconds(1),
                        MaxRetries = 1,
                    }).Tables));
                }
                configure?.Invoke(services);
                // The bridge's own request store, wrapped so that an armed crash kills its next write.
                services.Decorate<IRequestStore>(inner => new CrashingRequestStore(inner, Crash));
            },
        };
        options.Settings["Storage:RequestsTable"] = _requestsTable;
        options.Settings["Storage:GroupsTable"] = _groupsTable;
        options.Settings["Storage:SlackTable"] = _slackTable;
        options.Settings["Policy:AllowedAccounts"] = Account;
        options.Settings["Aws:WebIdentityAudience"] = "api://sgbridge-aws";
        options.Settings["Slack:ApproversChannel"] = "CAPPROVERS";
        options.Settings["Slack:MonitoringChannel"] = MonitoringChannel;
        options.Settings["Slack:ApproverUserIds"] = "UAPPROVER1";
        options.Settings["Slack:BaseUrl"] = Slack.Url + "/api/";
        options.Settings["Slack:BatchRenderDelay"] = "00:00:00";
        options.Settings["Slack:BatchDecisionRenderDelay"] = "00:00:00";
        options.Settings["Reconcile:LeaseWait"] = "00:00:00";
        options.Settings["Processing:PoisonRedriveDelay"] = PoisonRedriveDelay.ToString();
        return LocalBridge.StartAsync(options);
    }

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task AcceptForeverAsync()
    {
        try
        {
            while (true)
            {
                var s = await _deadTables.AcceptSocketAsync();
                lock (_held)
                {
                    _held.Add(s);
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Stopped at dispose.
        }
    }

    // ---------- faults between the bridge and AWS ----------

    private static IRequestBuilder Action(string action) =>
        Request.Create().UsingPost().WithBody(new RegexMatcher($"(^|&)Action={action}(&|$)"));

    private static string ErrorXml(string code, string message) =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-1</RequestID></Response>";

    /// <summary>Every call of <paramref name="action"/> fails with this HTTP status and EC2 error code.</summary>
    public void Fail(string action, int status, string code) =>
        Aws.Given(Action(action)).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/xml;charset=UTF-8").WithBody(ErrorXml(code, "injected fault")));

    /// <summary>The first <paramref name="times"/> calls of <paramref name="action"/> fail; later ones reach moto.</summary>
    public void FailTimes(string action, int times, int status, string code)
    {
        var scenario = "fail-" + action;
        for (var i = 0; i < times; i++)
        {
            var m = Aws.Given(Action(action)).AtPriority(1).InScenario(scenario);
            m = i == 0 ? m : m.WhenStateIs("s" + i);
            m.WillSetStateTo("s" + (i + 1))
                .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/xml;charset=UTF-8").WithBody(ErrorXml(code, "injected fault")));
        }
    }

    /// <summary>The first call of <paramref name="action"/> reaches moto and takes effect; the bridge then sees the connection break.</summary>
    public void LoseResponse(string action)
    {
        Aws.Given(Action(action)).AtPriority(1).InScenario("lose-" + action).WillSetStateTo("lost")
            .RespondWith(Response.Create().WithCallback(req =>
            {
                using var forward = new HttpRequestMessage(HttpMethod.Post, _moto.Url + req.Path)
                {
                    Content = new StringContent(req.Body!, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
                };
                foreach (var (name, values) in req.Headers!)
                {
                    if (name.StartsWith("Authorization", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-Amz", StringComparison.OrdinalIgnoreCase))
                    {
                        forward.Headers.TryAddWithoutValidation(name, values.ToArray());
                    }
                }
                using var client = new HttpClient();
                client.Send(forward).Dispose();
                return new WireMock.ResponseMessage { StatusCode = 200 };
            }).WithFault(WireMock.ResponseBuilders.FaultType.MALFORMED_RESPONSE_CHUNK));
    }

    /// <summary>
    /// The first call of <paramref name="action"/> reaches moto and takes effect; the bridge is answered 500
    /// InternalError, so the SDK sends the call again (Aws:MaxErrorRetry=1) and moto answers the retry with
    /// InvalidPermission.Duplicate (authorize) or a not-found error (revoke): a lost response seen through a retry.
    /// </summary>
    public void LoseResponseThenRetry(string action)
    {
        Aws.Given(Action(action)).AtPriority(1).InScenario("lose-retry-" + action).WillSetStateTo("lost")
            .RespondWith(Response.Create().WithCallback(req =>
            {
                Forward(req);
                return new WireMock.ResponseMessage
                {
                    StatusCode = 500,
                    Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("text/xml;charset=UTF-8") },
                    BodyData = new WireMock.Util.BodyData { BodyAsString = ErrorXml("InternalError", "injected: the call took effect, the answer is lost"), DetectedBodyType = WireMock.Types.BodyType.String },
                };
            }));
    }

    private void Forward(WireMock.IRequestMessage req)
    {
        using var forward = new HttpRequestMessage(HttpMethod.Post, _moto.Url + req.Path)
        {
            Content = new StringContent(req.Body!, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        foreach (var (name, values) in req.Headers!)
        {
            if (name.StartsWith("Authorization", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-Amz", StringComparison.OrdinalIgnoreCase))
            {
                forward.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }
        using var client = new HttpClient();
        client.Send(forward).Dispose();
    }

    // ---------- the account ----------

    /// <summary>An EC2 client acting as a person, with credentials from moto's STS directly (never through the faults).</summary>
    public async Task<AmazonEC2Client> PersonEc2Async()
    {
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { ServiceURL = _moto.Url, AuthenticationRegion = Region });
        var c = (await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = $"arn:aws:iam::{Account}:role/SgBridgeExecutionRole",
            RoleSessionName = "person",
            WebIdentityToken = "entra-id-token-for-moto",
        })).Credentials;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
            new AmazonEC2Config { ServiceURL = _moto.Url, AuthenticationRegion = Region });
    }

    public static async Task<string> CreateGroupAsync(AmazonEC2Client ec2)
    {
        var vpc = await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" });
        return (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "f-" + Guid.NewGuid().ToString("N")[..8], Description = "faults", VpcId = vpc.Vpc.VpcId })).GroupId;
    }

    public static async Task<SgBridge.Shared.Domain.SecurityGroupRule> AddAsync(AmazonEC2Client ec2, string groupId, int port, string cidr, string description)
    {
        var id = (await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = description }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        return TestData.Tcp(port, cidr, description, id);
    }

    public static async Task<List<int>> IngressPortsAsync(AmazonEC2Client ec2, string groupId) =>
        (await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [groupId])] }))
            .SecurityGroupRules.Where(r => r.IsEgress != true).Select(r => r.FromPort.GetValueOrDefault()).Order().ToList();

    public Task OnboardAsync() => Services.GetRequiredService<BaselineService>().BaselineAsync(Account, Region, force: false, CancellationToken.None);

    /// <summary>A person's add as the intake would queue it.</summary>
    public SecurityGroupChange Added(string groupId, SgBridge.Shared.Domain.SecurityGroupRule rule) =>
        TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { AccountId = Account, Region = Region, GroupId = groupId, Rules = [rule] };

    public Task SendAsync<T>(string queue, T message) => Services.GetRequiredService<IQueueSender>().SendAsync(queue, message, CancellationToken.None);

    public async Task<ChangeRequest?> RequestAsync(string eventId) =>
        (await Services.GetRequiredService<IRequestStore>().GetAsync(RequestId.For(eventId), CancellationToken.None))?.Value;

    /// <summary>An approver's decision, stored as the Slack handler stores it (its apply an effect on the row, nudged by the lifecycle).</summary>
    public async Task ApproveAsync(string requestId)
    {
        await Services.GetRequiredService<RequestLifecycle>().ChangeAsync(requestId, r => { r.Approve("UAPPROVER1", "ann", DateTimeOffset.UtcNow); return true; }, CancellationToken.None);
    }

    // ---------- the host ----------

    public async Task ResetQueuesAsync()
    {
        foreach (var name in Pumped.Concat(Pumped.Select(QueueNames.Poison)))
        {
            var q = _queues.GetQueueClient(name);
            await q.CreateIfNotExistsAsync();
            await q.ClearMessagesAsync();
        }
    }

    /// <summary>What the pump did: messages poisoned, and poison messages the readers could not complete either.</summary>
    public sealed record PumpResult(int Poisoned, int Lost);

    /// <summary>
    /// The host's queue triggers, poison readers included, run until every queue is empty (or <paramref name="rounds"/>
    /// receives per queue): host.json's retry-then-poison; a poison reader that fails its last try moves the message to
    /// "-poison-poison", read by no one (Lost).
    /// </summary>
    public async Task<PumpResult> PumpAsync(int rounds = 200, bool reconcile = false)
    {
        var queues = Pumped.Where(q => reconcile || q != QueueNames.Reconcile).ToArray();
        var drained = await _bridge.DrainAsync(queues.Concat(queues.Select(QueueNames.Poison)).ToArray(), rounds);
        return drained.Drained || rounds < 200 ? new PumpResult(drained.Poisoned, drained.Lost) : throw new InvalidOperationException("The queues did not drain in 200 rounds.");
    }

    public async Task<int> LengthAsync(string queue) => (await _queues.GetQueueClient(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>The texts (and block JSON) of what was posted or updated in the monitoring channel.</summary>
    public List<string> Monitoring() =>
        Slack.LogEntries
            .Where(e => e.RequestMessage.Path is "/api/chat.postMessage" or "/api/chat.update")
            .Select(e => JsonNode.Parse(e.RequestMessage.Body!)!.AsObject())
            .Where(b => (string?)b["channel"] == MonitoringChannel)
            .Select(b => b.ToJsonString())
            .ToList();

    /// <summary>The bodies of what was posted to the approvers' channel.</summary>
    public List<string> ApproverPosts() =>
        Slack.LogEntries
            .Where(e => e.RequestMessage.Path == "/api/chat.postMessage")
            .Select(e => e.RequestMessage.Body!)
            .Where(b => (string?)JsonNode.Parse(b)!["channel"] == "CAPPROVERS")
            .ToList();

    public int AwsCalls(string action) =>
        Aws.LogEntries.Count(e => e.RequestMessage.Body?.Contains("Action=" + action + "&", StringComparison.Ordinal) == true);

    private static WireMock.ResponseMessage Json(JsonObject body) => new()
    {
        StatusCode = 200,
        Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new WireMock.Util.BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = WireMock.Types.BodyType.String },
    };

    public async ValueTask DisposeAsync()
    {
        Aws.Stop();
        Aws.Dispose();
        Slack.Stop();
        Slack.Dispose();
        _deadTables.Stop();
        lock (_held)
        {
            foreach (var s in _held)
            {
                s.Dispose();
            }
        }
        if (_bridge is not null)
        {
            await _bridge.DisposeAsync();
        }
    }

    public sealed class CrashSwitch
    {
        public int Armed;
    }

    /// <summary>The real table store, except that an armed crash kills the next write after the EC2 call: a revert's insert
    /// of its request with the outcome (write-once), an apply's replace.</summary>
    private sealed class CrashingRequestStore(IRequestStore inner, CrashSwitch crash) : IRequestStore
    {
        public Task<Stored<ChangeRequest>?> GetAsync(string requestId, CancellationToken cancellationToken) => inner.GetAsync(requestId, cancellationToken);

        public Task<(Stored<ChangeRequest> Request, bool Created)> AddOrGetAsync(ChangeRequest request, CancellationToken cancellationToken) =>
            request.Status != RequestStatus.Reverting && Interlocked.Exchange(ref crash.Armed, 0) == 1
                ? throw new InvalidOperationException("Simulated crash: the worker died between the revoke and the request's insert.")
                : inner.AddOrGetAsync(request, cancellationToken);

        public Task<string> ReplaceAsync(ChangeRequest request, string etag, CancellationToken cancellationToken) =>
            Interlocked.Exchange(ref crash.Armed, 0) == 1
                ? throw new InvalidOperationException("Simulated crash: the worker died before the table write.")
                : inner.ReplaceAsync(request, etag, cancellationToken);
    }

}

/// <summary>A theory that needs moto: skipped with the same clear message as <see cref="MotoFactAttribute"/> when moto is absent.</summary>
public sealed class MotoTheoryAttribute : TheoryAttribute
{
    public MotoTheoryAttribute()
    {
        if (!MotoFixture.IsAvailable)
        {
            Skip = MotoFixture.NotFoundMessage;
        }
    }
}
