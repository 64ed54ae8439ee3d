using SgBridge.Shared.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>
/// The real Slack client against a stub Slack that refuses over-limit payloads the way Slack does (HTTP 200,
/// <c>{"ok":false,"error":"invalid_blocks"}</c> or <c>msg_too_long</c>): a refused message never hides a change.
/// </summary>
public sealed class SlackRefusalTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http;
    private readonly FakeTimeProvider _time = new(T);
    private readonly InMemoryRequestStore _requests = new();
    private readonly InMemorySlackThreadStore _threads = new();
    private readonly RecordingQueue _queue = new();
    private readonly RecordingLogger _log = new();
    private readonly SlackOptions _options = SlackTestOptions.Create(o =>
    {
        o.BatchMaxSize = 20;
        o.BatchRenderDelay = TimeSpan.Zero;
        o.BatchDecisionRenderDelay = TimeSpan.Zero;
        o.MaxRetries = 0;
    });

    /// <summary>What the stub lets through: Slack's own limits, with Slack's observed total of ~12,000 characters of block text.</summary>
    private int _stubTotalLimit = 12_000;

    /// <summary>A channel where the stub refuses anything at all.</summary>
    private readonly HashSet<string> _brokenChannels = [];

    private bool _refuseAllBlocks;
    private int _ts;

    public SlackRefusalTests()
    {
        _http = new HttpClient { BaseAddress = new Uri(_server.Url + "/api/") };
        foreach (var method in new[] { "chat.postMessage", "chat.update" })
        {
            _server.Given(Request.Create().WithPath("/api/" + method).UsingPost()).RespondWith(Response.Create().WithCallback(req =>
            {
                var body = JsonNode.Parse(req.Body!)!.AsObject();
                var channel = (string)body["channel"]!;
                var blocks = body["blocks"] as JsonArray;
                var errors = SlackPayloadValidator.Check((string?)body["text"], blocks, _stubTotalLimit);
                string? error = _brokenChannels.Contains(channel) ? "channel_not_found"
                    : ((string?)body["text"])?.Length > SlackLimits.TopLevelText ? "msg_too_long"
                    : errors.Count > 0 || (_refuseAllBlocks && blocks is not null) ? "invalid_blocks"
                    : null;
                var answer = error is null
                    ? new JsonObject { ["ok"] = true, ["channel"] = channel, ["ts"] = (string?)body["ts"] ?? $"{Interlocked.Increment(ref _ts) + 1000}.000100" }
                    : new JsonObject { ["ok"] = false, ["error"] = error };
                return new WireMock.ResponseMessage
                {
                    StatusCode = 200,
                    Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                    BodyData = new WireMock.Util.BodyData { BodyAsString = answer.ToJsonString(), DetectedBodyType = WireMock.Types.BodyType.String },
                };
            }));
        }
        _server.Given(Request.Create().WithPath("/api/users.lookupByEmail").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":false,\"error\":\"users_not_found\"}"));
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private NotificationService Notifier(string? durations = null)
    {
        var client = new SlackClient(_http, O.Create(_options), _time, NullLogger<SlackClient>.Instance);
        // The bridge's graph over this test's stores and queue, with the real Slack client against the stub and the recording log.
        var rig = new SlackRig(_options, _time);
        // Without durations given, only the plain (permanent) Approve is offered.
        rig.Bridge.Approvals.Durations = durations ?? "permanent";
        return rig.Bridge.Services(s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IRequestStore>(_requests));
            s.Replace(ServiceDescriptor.Singleton<ISlackThreadStore>(_threads));
            s.Replace(ServiceDescriptor.Singleton<IQueueSender>(_queue));
            s.Replace(ServiceDescriptor.Singleton<ISlackClient>(client));
            s.Replace(ServiceDescriptor.Singleton<ILogger<NotificationService>>(_log));
        }).GetRequiredService<NotificationService>();
    }

    private List<(string Method, JsonObject Body, bool Ok)> Calls() =>
        _server.LogEntries.Where(e => e.RequestMessage.Path is "/api/chat.postMessage" or "/api/chat.update")
            .OrderBy(e => e.RequestMessage.DateTime)
            .Select(e => (e.RequestMessage.Path![5..], JsonNode.Parse(e.RequestMessage.Body!)!.AsObject(), e.ResponseMessage.BodyData!.BodyAsString!.Contains("\"ok\":true", StringComparison.Ordinal)))
            .ToList();

    private async Task<List<ChangeRequest>> PendingBurstAsync(int count, int rules)
    {
        var requester = SlackPayloadLimitsTests.MaximalRequester(0);
        var burst = new List<ChangeRequest>();
        for (var i = 0; i < count; i++)
        {
            var r = SlackPayloadLimitsTests.Request(i, ChangeKind.Add, rules, RequestStatus.Pending, requester);
            await _requests.AddOrGetAsync(r, default);
            burst.Add(r);
        }
        return burst;
    }

    [Fact]
    public async Task MaximumBatch_WithLongDescriptions_PostsAndUpdatesWithoutARefusal()
    {
        var burst = await PendingBurstAsync(_options.BatchMaxSize, 60);
        foreach (var r in burst)
        {
            await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);
        }
        // A decision on each re-renders the shared message too.
        foreach (var r in burst.Take(3))
        {
            var s = (await _requests.GetAsync(r.Id, default))!;
            s.Value.Deny("U0APPROVER", "a", T);
            await _requests.ReplaceAsync(s.Value, s.ETag, default);
            await Notifier().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Denied), _requests);
        }

        var calls = Calls();
        Assert.All(calls, c => Assert.True(c.Ok, $"{c.Method} refused: {SlackPayloadValidator.Check((string?)c.Body["text"], c.Body["blocks"] as JsonArray, _stubTotalLimit).FirstOrDefault()}"));
        Assert.Equal(2, calls.Count(c => c.Method == "chat.postMessage" && c.Body["thread_ts"] is null));
        Assert.Contains(calls, c => c.Method == "chat.update" && (string)c.Body["channel"]! == _options.ApproversChannel);
        var thread = _threads.Thread(burst[0].Id)!;
        Assert.Equal(_options.BatchMaxSize, thread.MemberIds.Count);
        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task RefusedApproversMessage_FallsBackToACompactOne_WithButtons_AndLogsAnError()
    {
        // Slack's undocumented size limit turns out lower than the bridge assumes.
        _stubTotalLimit = 1_500;
        var r = (await PendingBurstAsync(1, 60))[0];

        await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);

        var approverPosts = Calls().Where(c => (string)c.Body["channel"]! == _options.ApproversChannel).ToList();
        Assert.Equal([false, true], approverPosts.Select(c => c.Ok));
        var compact = approverPosts[1].Body;
        var json = compact["blocks"]!.ToJsonString();
        foreach (var expected in new[] { r.Id, ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "permanent", r.Id), ActionIds.For(ActionIds.Deny, r.Id), TestData.GroupId, TestData.Account, "60 rules" })
        {
            Assert.Contains(expected, json, StringComparison.Ordinal);
        }
        // The compact message is the one the click has to come from.
        Assert.Equal((string)compact["channel"]!, _threads.Thread(r.Id)!.ApproverMessage!.Channel);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("invalid_blocks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RefusedUpdate_FallsBackToACompactUpdate_OfTheSameMessage()
    {
        var r = (await PendingBurstAsync(1, 60))[0];
        await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);
        var message = _threads.Thread(r.Id)!.ApproverMessage!;
        _stubTotalLimit = 1_500;

        var s = (await _requests.GetAsync(r.Id, default))!;
        s.Value.Deny("U0APPROVER", "a", T);
        await _requests.ReplaceAsync(s.Value, s.ETag, default);
        await Notifier().NotifyAsync(new RequestNotification(r.Id, RequestStatus.Denied), _requests);

        var updates = Calls().Where(c => c.Method == "chat.update" && (string)c.Body["channel"]! == _options.ApproversChannel).ToList();
        Assert.Equal([false, true], updates.Select(c => c.Ok));
        Assert.All(updates, u => Assert.Equal(message.Ts, (string)u.Body["ts"]!));
        Assert.Contains("Compact view", updates[1].Body["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(message, _threads.Thread(r.Id)!.ApproverMessage);
    }

    [Fact]
    public async Task RefusedApproversMessage_CompactOneKeepsTheDurationChoiceAndDeny()
    {
        _stubTotalLimit = 1_500;
        var r = (await PendingBurstAsync(1, 60))[0];

        await Notifier("1h,8h").NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);

        var compact = Calls().Where(c => (string)c.Body["channel"]! == _options.ApproversChannel).Last();
        Assert.True(compact.Ok);
        var elements = compact.Body["blocks"]!.AsArray().OfType<JsonObject>().Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>()).ToList();
        var select = Assert.Single(elements, e => (string?)e["type"] == "static_select");
        Assert.Equal(ActionIds.For(ActionIds.ApproveFor, r.Id), (string)select["action_id"]!);
        Assert.Equal(["for 1h", "for 8h"], select["options"]!.AsArray().Select(o => (string)o!["text"]!["text"]!));
        Assert.Contains(elements, e => (string)e["action_id"]! == ActionIds.For(ActionIds.Deny, r.Id));
        // "permanent" is not offered here, so a permanent Approve would only be refused on click.
        Assert.DoesNotContain(elements, e => (string)e["action_id"]! == ActionIds.For(ActionIds.Approve, r.Id));
    }

    [Fact]
    public async Task RefusedUpdate_OfLiveTimeBoundAccess_CompactUpdateKeepsRevoke()
    {
        var r = (await PendingBurstAsync(1, 60))[0];
        await Notifier(ApprovalsOptions.DefaultDurations).NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);
        _stubTotalLimit = 1_500;

        var s = (await _requests.GetAsync(r.Id, default))!;
        s.Value.Approve("U0APPROVER", "a", T, TimeSpan.FromHours(8));
        s.Value.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);
        await _requests.ReplaceAsync(s.Value, s.ETag, default);
        await Notifier(ApprovalsOptions.DefaultDurations).NotifyAsync(new RequestNotification(r.Id, RequestStatus.Applied), _requests);

        var update = Calls().Last(c => c.Method == "chat.update" && (string)c.Body["channel"]! == _options.ApproversChannel);
        Assert.True(update.Ok);
        var json = update.Body["blocks"]!.ToJsonString();
        Assert.Contains("Compact view", json, StringComparison.Ordinal);
        Assert.Contains(ActionIds.For(ActionIds.RevokeAccess, r.Id), json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvenTheCompactMessageRefused_TheMonitoringChannelSaysSo()
    {
        _refuseAllBlocks = true;
        var r = (await PendingBurstAsync(1, 1))[0];

        await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);

        var notice = Assert.Single(Calls(), c => c.Ok && (string)c.Body["channel"]! == _options.MonitoringChannel && c.Body["blocks"] is null);
        Assert.Contains(r.Id, (string)notice.Body["text"]!, StringComparison.Ordinal);
        Assert.Contains("refused", (string)notice.Body["text"]!, StringComparison.Ordinal);
        // The notice says how to decide without the message: the CLI verbs that decide.
        Assert.Contains($"`sgbridge requests approve {r.Id} --for DURATION --reason \"…\"`", (string)notice.Body["text"]!, StringComparison.Ordinal);
        Assert.Contains($"`sgbridge requests deny {r.Id} --reason \"…\"`", (string)notice.Body["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingGetsThrough_LogsCritical()
    {
        _brokenChannels.Add(_options.ApproversChannel);
        _brokenChannels.Add(_options.MonitoringChannel);
        var r = (await PendingBurstAsync(1, 1))[0];

        await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);

        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains(r.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task BrokenMonitoringChannel_DoesNotKeepTheApproversFromSeeingTheChange()
    {
        _brokenChannels.Add(_options.MonitoringChannel);
        var r = (await PendingBurstAsync(1, 1))[0];

        await Notifier().NotifyAsync(new RequestNotification(r.Id, r.Status), _requests);

        Assert.Contains(Calls(), c => c.Ok && (string)c.Body["channel"]! == _options.ApproversChannel && c.Body["blocks"]!.ToJsonString().Contains(ActionIds.Approve, StringComparison.Ordinal));
    }

    private sealed class RecordingLogger : ILogger<NotificationService>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
