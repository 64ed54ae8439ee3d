using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Local;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Local;

/// <summary>
/// The local host's queue triggers keep host.json's promises: a failing message is tried maxDequeueCount times, then
/// lands on "&lt;queue&gt;-poison" (whose own function reads it and tells monitoring); a message that is not base64 goes
/// there untried. Its own bridge, with host settings that make retries quick (no visibility delay, three tries).
/// </summary>
[Trait("Category", "Integration")]
public sealed class QueueTriggerTests : IAsyncLifetime
{
    private static readonly HostSettings Quick = HostSettings.Embedded() with
    {
        VisibilityTimeout = TimeSpan.Zero,
        MaxDequeueCount = 3,
        MaxPollingInterval = TimeSpan.FromMilliseconds(300),
    };

    private LocalBridge? _bridge;

    private LocalBridge Bridge => _bridge!;

    private readonly RecordingObserver _observer = new();
    private readonly ListenerCalls _listenerCalls = new();

    public async Task InitializeAsync() =>
        _bridge = await LocalBridge.StartAsync(new LocalBridgeOptions
        {
            RepoRoot = RepoRoot.Path,
            Host = Quick,
            TimerTriggers = false,
            ConfigureLogging = _ => { },
            ConfigureServices = s => s.AddSingleton<IFunctionInvocationObserver>(_observer),
            ConfigureStorageClients = o => o.AddPolicy(_listenerCalls, Azure.Core.HttpPipelinePosition.PerCall),
        });

    /// <summary>
    /// The bench's two seams: the observer is told of each invocation with its trigger's input, before the function
    /// runs (so what it sets in an AsyncLocal flows into the function), and the listeners' own storage calls go through
    /// the client options the host was given.
    /// </summary>
    [Fact]
    public async Task Observer_IsToldOfEachQueueInvocation_AndListenersUseTheConfiguredClientOptions()
    {
        await Bridge.Queue(QueueNames.Effects).SendMessageAsync("{\"not\": \"an effects message\"}");

        await WaitUntilAsync(() => Bridge.Counters.PoisonedFrom("PerformEffects") == 1);

        var seen = _observer.Seen.Where(s => s.Function == "PerformEffects").ToList();
        Assert.Equal(Quick.MaxDequeueCount, seen.Count);
        Assert.All(seen, s => Assert.Contains("not", s.Message, StringComparison.Ordinal));
        Assert.True(_listenerCalls.Paths.Any(p => p.EndsWith("/" + QueueNames.Effects + "/messages", StringComparison.Ordinal)), "the listener's receives went through the configured client options");
    }

    private sealed class RecordingObserver : IFunctionInvocationObserver
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string Function, string? Message)> Seen { get; } = new();

        public IDisposable? Begin(FunctionDescriptor function, Microsoft.AspNetCore.Http.HttpRequest? request, Azure.Storage.Queues.Models.QueueMessage? message)
        {
            Seen.Enqueue((function.Name, message?.Body.ToString()));
            return null;
        }
    }

    private sealed class ListenerCalls : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();

        public override void OnSendingRequest(Azure.Core.HttpMessage message) => Paths.Enqueue(message.Request.Uri.Path);
    }

    public async Task DisposeAsync() => await Bridge.DisposeAsync();

    [Fact]
    public async Task FailingMessage_IsTriedMaxDequeueCountTimes_ThenPoisoned_AndMonitoringIsTold()
    {
        await Bridge.Queue(QueueNames.Effects).SendMessageAsync("{\"this is\": \"not an apply command\"}");

        await WaitUntilAsync(() => Bridge.Counters.HandledBy("EffectsPoison") == 1);

        Assert.Equal(Quick.MaxDequeueCount, Bridge.Counters.FailedIn("PerformEffects"));
        Assert.Equal(1, Bridge.Counters.PoisonedFrom("PerformEffects"));
        Assert.Equal(0, Bridge.Counters.HandledBy("PerformEffects"));
        await WaitUntilAsync(() => Bridge.Slack.Messages.Any(m => m.Channel == LocalBridge.MonitoringChannel && m.Text.Contains("sgbridge-effects-poison", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The poison queue's own function cannot decode it either, so it moves on to "-poison-poison", as the host's
    /// decoding-failure handler would move it: kept as sent, never lost, never half-read.
    /// </summary>
    [Fact]
    public async Task MessageThatIsNotBase64_GoesToThePoisonQueueUntried_AndIsKeptAsSent()
    {
        var raw = new QueueClient(Bridge.StorageConnectionString, QueueNames.Changes, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await raw.CreateIfNotExistsAsync();
        await raw.SendMessageAsync("{not base64 at all}");

        await WaitUntilAsync(() => Bridge.Counters.PoisonedFrom("RevertChange") == 1);

        Assert.Equal(0, Bridge.Counters.FailedIn("RevertChange"));
        Assert.Equal(0, Bridge.Counters.HandledBy("RevertChange"));
        await WaitUntilAsync(() => Bridge.Counters.PoisonedFrom("ChangesPoison") == 1);
        var kept = new QueueClient(Bridge.StorageConnectionString, QueueNames.Changes + "-poison-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        Assert.Equal("{not base64 at all}", (await kept.PeekMessageAsync()).Value.MessageText);
    }

    [Fact]
    public async Task TimerFunction_RunsOnDemand_AsItsTriggerWould()
    {
        await Bridge.RunAsync("CatchUpEffects");
        await Bridge.RunAsync("SweepForDrift");

        await Assert.ThrowsAsync<ArgumentException>(() => Bridge.RunAsync("ReceiveAwsEvent"));
        await Assert.ThrowsAsync<ArgumentException>(() => Bridge.RunAsync("NoSuchFunction"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 60 s.");
            await Task.Delay(100);
        }
    }
}
