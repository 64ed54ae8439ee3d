using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared;
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
/// The bridge as it runs in Azure, minus the Functions host: the real DI graph (AddSgBridge), the function classes
/// called as the host would call them, real Azurite queues and tables, the real AWS SDK against moto, and the real
/// Slack client against a local stub Slack. The only seam is the Entra ID token (moto accepts any token).
/// <see cref="PumpAsync"/> stands in for the host's queue triggers, with its retry-then-poison behaviour.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string ApproversChannel = "CAPPROVERS";
    public const string MonitoringChannel = "CMONITOR";
    public const string Approver = "UAPPROVER1";
    private const int MaxDequeueCount = 5;

    private readonly ServiceProvider _services;
    private readonly QueueServiceClient _queues;

    /// <summary>Onboarding (`sgbridge baseline`): the account's groups in the region, as they stand, become their approved state.</summary>
    public Task<SgBridge.Shared.Reconcile.BaselineSummary> OnboardAsync() =>
        _services.GetRequiredService<SgBridge.Shared.Reconcile.BaselineService>().BaselineAsync(Account, Region, force: false, CancellationToken.None);

    public PipelineHarness(AzuriteFixture azurite, MotoFixture moto, IReadOnlyDictionary<string, string?>? overrides = null, TimeProvider? time = null)
    {
        Account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        Slack = WireMockServer.Start();
        StubSlack();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:RequestsTable"] = azurite.UniqueTableName("req"),
            ["Storage:GroupsTable"] = azurite.UniqueTableName("snap"),
            ["Storage:SlackTable"] = azurite.UniqueTableName("slack"),
            ["Policy:AllowedAccounts"] = Account,
            ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws:AuthMode"] = "WebIdentity",
            ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
            ["Aws:StsEndpoint"] = moto.Url,
            ["Aws:Ec2Endpoint"] = moto.Url,
            ["Aws:MaxErrorRetry"] = "1",
            ["Slack:BotToken"] = "xoxb-e2e-test",
            ["Slack:SigningSecret"] = SlackSigning.Secret,
            ["Slack:ApproversChannel"] = ApproversChannel,
            ["Slack:MonitoringChannel"] = MonitoringChannel,
            ["Slack:ApproverUserIds"] = Approver + ",UAPPROVER2",
            ["Slack:BaseUrl"] = Slack.Url + "/api/",
            ["Slack:BatchRenderDelay"] = "00:00:00",
            ["Slack:BatchDecisionRenderDelay"] = "00:00:00",
            ["Processing:MaxDequeueCount"] = MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
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
        Settings = settings;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (time is not null)
        {
            services.AddSingleton(time); // before AddSgBridge, whose TryAdd then keeps it
        }
        // The bridge's own Table client, with every request recorded (see TableRequests).
        var tableOptions = new Azure.Data.Tables.TableClientOptions();
        tableOptions.AddPolicy(TableRequests, Azure.Core.HttpPipelinePosition.PerRetry);
        services.AddSingleton(new Azure.Data.Tables.TableServiceClient(azurite.ConnectionString, tableOptions));
        services.AddSgBridge(configuration);
        services.AddSingleton<IWebIdentityTokenSource>(new FixedToken());
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
    }

    public string Account { get; }

    /// <summary>Every request the bridge sent to Table Storage (clear it to look at one stretch of work).</summary>
    public TableRequestLog TableRequests { get; } = new();

    public WireMockServer Slack { get; }

    public IServiceProvider Services => _services;

    public IRequestStore Requests => _services.GetRequiredService<IRequestStore>();

    public ISlackThreadStore Threads => _services.GetRequiredService<ISlackThreadStore>();

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

    private static readonly string[] QueueNamesToPump = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    /// <summary>The app settings the harness runs with (Section:Name).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }


    /// <summary>Fires the sweep timer as the host would.</summary>
    public Task SweepTimerAsync() =>
        ActivatorUtilities.CreateInstance<SweepForDrift>(_services).RunAsync(null!, CancellationToken.None);

    /// <summary>Hands the changes waiting on the queue to the revert function all at once, as concurrent host instances would.</summary>
    public async Task<int> RevertConcurrentlyAsync()
    {
        var queue = _queues.GetQueueClient(QueueNames.Changes);
        QueueMessage[] batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(60))).Value;
        await Task.WhenAll(batch.Select(m => Task.Run(async () =>
        {
            await ActivatorUtilities.CreateInstance<RevertChange>(_services).RunAsync(m, CancellationToken.None);
            await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        })));
        return batch.Length;
    }

    /// <summary>An EC2 client acting as a person in the test account (same assumed credentials as the bridge, as moto keys state by account).</summary>
    public async Task<AmazonEC2Client> PersonEc2Async()
    {
        var cache = _services.GetRequiredService<AssumedRoleCredentialCache>();
        var c = (await cache.GetAsync(Account, CancellationToken.None)).Credentials;
        var options = _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Shared.Options.AwsOptions>>().Value;
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

    /// <summary>POSTs an event to the intake function as EventBridge would; returns the HTTP status.</summary>
    public async Task<(int Status, string Body)> PostEventAsync(JsonNode evt)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(evt.ToJsonString());
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json; charset=utf-8";
        context.Request.Headers.UserAgent = "Amazon/EventBridge/ApiDestinations";
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        var result = await ActivatorUtilities.CreateInstance<ReceiveAwsEvent>(_services).RunAsync(context.Request, CancellationToken.None);
        var obj = Assert.IsAssignableFrom<ObjectResult>(result);
        return (obj.StatusCode ?? 200, System.Text.Json.JsonSerializer.Serialize(obj.Value));
    }

    /// <summary>A Slack button click on the approvers' message that shows the request, signed with the signing secret as Slack signs it.</summary>
    public async Task<int> ClickAsync(string actionId, string requestId, string user = Approver, string? secret = null)
    {
        var message = await ApproverMessageAsync(requestId);
        var body = SlackSigning.ClickBody(actionId, requestId, user, message?.Channel ?? ApproversChannel, message?.Ts ?? "1001.000100");
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Method = "POST";
        context.Request.ContentType = "application/x-www-form-urlencoded";
        context.Request.Headers["X-Slack-Request-Timestamp"] = ts.ToString(CultureInfo.InvariantCulture);
        context.Request.Headers["X-Slack-Signature"] = SlackSigning.Sign(body, ts, secret ?? SlackSigning.Secret);
        context.Request.Body = new MemoryStream(bytes);
        var result = await ActivatorUtilities.CreateInstance<ReceiveSlackInteraction>(_services).RunAsync(context.Request, CancellationToken.None);
        return Assert.IsAssignableFrom<Microsoft.AspNetCore.Mvc.Infrastructure.IStatusCodeActionResult>(result).StatusCode ?? 200;
    }

    /// <summary>
    /// Runs the queue functions until every queue is empty, like the host: a failure leaves the message to be
    /// tried again; after <see cref="MaxDequeueCount"/> tries it goes to the poison queue. Returns the messages poisoned.
    /// </summary>
    public async Task<int> PumpAsync()
    {
        var poisoned = 0;
        for (var round = 0; round < 100; round++)
        {
            var handled = 0;
            foreach (var name in QueueNamesToPump)
            {
                var queue = _queues.GetQueueClient(name);
                QueueMessage[] batch = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(30))).Value;
                foreach (var message in batch)
                {
                    handled++;
                    try
                    {
                        await DispatchAsync(name, message);
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    }
                    catch (Exception) when (message.DequeueCount >= MaxDequeueCount)
                    {
                        await _queues.GetQueueClient(QueueNames.Poison(name)).SendMessageAsync(message.MessageText);
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                        poisoned++;
                    }
                    catch (Exception)
                    {
                        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                    }
                }
            }
            if (handled == 0)
            {
                return poisoned;
            }
        }
        throw new InvalidOperationException("The queues did not drain in 100 rounds.");
    }

    private Task DispatchAsync(string queue, QueueMessage message) => queue switch
    {
        QueueNames.Changes => ActivatorUtilities.CreateInstance<RevertChange>(_services).RunAsync(message, CancellationToken.None),
        QueueNames.Effects => ActivatorUtilities.CreateInstance<PerformEffects>(_services).RunAsync(message, CancellationToken.None),
        QueueNames.Reconcile => ActivatorUtilities.CreateInstance<ReconcileGroups>(_services).RunAsync(message, CancellationToken.None),
        _ => throw new ArgumentOutOfRangeException(nameof(queue), queue, null),
    };

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
        Slack.Stop();
        Slack.Dispose();
        await _services.DisposeAsync();
    }

    private sealed class FixedToken : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult("entra-id-token-for-moto");
    }
}
