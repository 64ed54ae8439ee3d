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
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared;
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
/// The bridge's real DI graph (AddSgBridge) with the function classes called as the host calls them, on Azurite queues;
/// between the bridge and EC2/STS sits a WireMock server that proxies every call to moto unless a test installs a
/// fault for an action (<see cref="Fail"/>, <see cref="FailTimes"/>, <see cref="LoseResponse"/>); Slack is a stub.
/// Table Storage is Azurite, or (<see cref="TableFault"/>) unreachable, with the app's own bounded timeouts.
/// <see cref="PumpAsync"/> is the host: retry, then the poison queue, whose messages go to the poison readers.
/// </summary>
public sealed class FaultHarness : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string MonitoringChannel = "CMONITOR";
    public const int MaxDequeueCount = 3;

    private static readonly string[] Pumped = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly string _requestsTable;
    private readonly string _groupsTable;
    private readonly string _slackTable;
    private readonly QueueServiceClient _queues;
    private readonly TcpListener _deadTables;
    private readonly List<Socket> _held = [];
    private ServiceProvider _services;

    public FaultHarness(AzuriteFixture azurite, MotoFixture moto)
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
        _ = AcceptForeverAsync();
        _services = Build(TableFault.None);
    }

    private int _ts;

    public string Account { get; }

    public WireMockServer Aws { get; }

    public WireMockServer Slack { get; }

    public IServiceProvider Services => _services;

    /// <summary>Arm to make the next request write fail as if the worker died between the EC2 call and the table write.</summary>
    public CrashSwitch Crash { get; } = new();

    public BridgeTelemetry Telemetry => _services.GetRequiredService<BridgeTelemetry>();

    /// <summary>Rebuilds the bridge with Table Storage as <paramref name="fault"/> says (queues stay on Azurite).</summary>
    public async Task StorageAsync(TableFault fault)
    {
        await _services.DisposeAsync();
        _services = Build(fault);
    }

    private ServiceProvider Build(TableFault fault)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = _azurite.ConnectionString,
            ["Storage:RequestsTable"] = _requestsTable,
            ["Storage:GroupsTable"] = _groupsTable,
            ["Storage:SlackTable"] = _slackTable,
            ["Policy:AllowedAccounts"] = Account,
            ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws:AuthMode"] = "WebIdentity",
            ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
            ["Aws:StsEndpoint"] = Aws.Url,
            ["Aws:Ec2Endpoint"] = Aws.Url,
            ["Aws:MaxErrorRetry"] = "1",
            ["Slack:BotToken"] = "xoxb-faults",
            ["Slack:SigningSecret"] = SlackSigning.Secret,
            ["Slack:ApproversChannel"] = "CAPPROVERS",
            ["Slack:MonitoringChannel"] = MonitoringChannel,
            ["Slack:ApproverUserIds"] = "UAPPROVER1",
            ["Slack:BaseUrl"] = Slack.Url + "/api/",
            ["Slack:BatchRenderDelay"] = "00:00:00",
            ["Slack:BatchDecisionRenderDelay"] = "00:00:00",
            ["Processing:MaxDequeueCount"] = MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
            ["Reconcile:LeaseWait"] = "00:00:00",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (fault != TableFault.None)
        {
            // The table client the stores use, pointed where storage does not answer, built as the app builds it
            // (StorageClients' bounded per-try timeout and retries; the default group-read deadline), with a 1 s try
            // and one retry so that the many calls a pumped outage makes stay short.
            var port = fault == TableFault.Refused ? ClosedPort() : ((IPEndPoint)_deadTables.LocalEndpoint).Port;
            services.AddSingleton(new StorageClients(new SgBridge.Shared.Options.StorageOptions
            {
                ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
                TableNetworkTimeout = TimeSpan.FromSeconds(1),
                MaxRetries = 1,
            }).Tables);
        }
        services.AddSingleton(sp => new TableRequestStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SgBridge.Shared.Options.StorageOptions>>()));
        services.AddSingleton<IRequestStore>(sp => new CrashingRequestStore(sp.GetRequiredService<TableRequestStore>(), Crash));
        services.AddSingleton<IEffectsIndex>(sp => sp.GetRequiredService<TableRequestStore>());
        services.AddSingleton<IPendingRequestsIndex>(sp => sp.GetRequiredService<TableRequestStore>());
        services.AddSgBridge(configuration);
        services.AddSingleton<IWebIdentityTokenSource>(new FixedToken());
        services.AddSingleton<PoisonService>(); // not yet registered by AddSgBridge (see the report)
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
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

    public Task OnboardAsync() => _services.GetRequiredService<BaselineService>().BaselineAsync(Account, Region, force: false, CancellationToken.None);

    /// <summary>A person's add as the intake would queue it.</summary>
    public SecurityGroupChange Added(string groupId, SgBridge.Shared.Domain.SecurityGroupRule rule) =>
        TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { AccountId = Account, Region = Region, GroupId = groupId, Rules = [rule] };

    public Task SendAsync<T>(string queue, T message) => _services.GetRequiredService<IQueueSender>().SendAsync(queue, message, CancellationToken.None);

    public async Task<ChangeRequest?> RequestAsync(string eventId) =>
        (await _services.GetRequiredService<IRequestStore>().GetAsync(RequestId.For(eventId), CancellationToken.None))?.Value;

    /// <summary>An approver's decision, stored as the Slack handler stores it (its apply an effect on the row, nudged by the lifecycle).</summary>
    public async Task ApproveAsync(string requestId)
    {
        await _services.GetRequiredService<RequestLifecycle>().ChangeAsync(requestId, r => { r.Approve("UAPPROVER1", "ann", DateTimeOffset.UtcNow); return true; }, CancellationToken.None);
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

    /// <summary>Runs the queue functions until every queue (poison queues included) is empty, with the host's retry-then-poison.</summary>
    public async Task<PumpResult> PumpAsync(int rounds = 200, bool reconcile = false)
    {
        int poisoned = 0, lost = 0;
        var queues = Pumped.Where(q => reconcile || q != QueueNames.Reconcile).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            var handled = 0;
            foreach (var name in queues.Concat(queues.Select(QueueNames.Poison)))
            {
                var queue = _queues.GetQueueClient(name);
                foreach (var message in (await queue.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(30))).Value)
                {
                    handled++;
                    try
                    {
                        await DispatchAsync(name, message);
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                    catch (Exception) when (message.DequeueCount >= MaxDequeueCount)
                    {
                        if (name.EndsWith("-poison", StringComparison.Ordinal))
                        {
                            lost++; // would go to <queue>-poison-poison, read by no one
                        }
                        else
                        {
                            await _queues.GetQueueClient(QueueNames.Poison(name)).SendMessageAsync(message.Body);
                            poisoned++;
                        }
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                    catch (Exception)
                    {
                        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                    }
                }
            }
            if (handled == 0)
            {
                return new PumpResult(poisoned, lost);
            }
        }
        return rounds < 200 ? new PumpResult(poisoned, lost) : throw new InvalidOperationException("The queues did not drain in 200 rounds.");
    }

    private Task DispatchAsync(string queue, QueueMessage message) => queue switch
    {
        QueueNames.Changes => ActivatorUtilities.CreateInstance<RevertChange>(_services).RunAsync(message, CancellationToken.None),
        QueueNames.Effects => ActivatorUtilities.CreateInstance<PerformEffects>(_services).RunAsync(message, CancellationToken.None),
        QueueNames.Reconcile => ActivatorUtilities.CreateInstance<ReconcileGroups>(_services).RunAsync(message, CancellationToken.None),
        PoisonQueueNames.Changes => ActivatorUtilities.CreateInstance<ChangesPoison>(_services).RunAsync(message, CancellationToken.None),
        PoisonQueueNames.Effects => ActivatorUtilities.CreateInstance<EffectsPoison>(_services).RunAsync(message, CancellationToken.None),
        PoisonQueueNames.Reconcile => ActivatorUtilities.CreateInstance<ReconcilePoison>(_services).RunAsync(message, CancellationToken.None),
        _ => throw new ArgumentOutOfRangeException(nameof(queue), queue, null),
    };

    public async Task<int> LengthAsync(string queue) => (await _queues.GetQueueClient(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>The texts (and block JSON) of what was posted or updated in the monitoring channel.</summary>
    public List<string> Monitoring() =>
        Slack.LogEntries
            .Where(e => e.RequestMessage.Path is "/api/chat.postMessage" or "/api/chat.update")
            .Select(e => JsonNode.Parse(e.RequestMessage.Body!)!.AsObject())
            .Where(b => (string?)b["channel"] == MonitoringChannel)
            .Select(b => b.ToJsonString())
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
        await _services.DisposeAsync();
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

    private sealed class FixedToken : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult("entra-id-token-for-moto");
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
