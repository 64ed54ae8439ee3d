using Azure.Storage.Queues;
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

    public async Task InitializeAsync() =>
        _bridge = await LocalBridge.StartAsync(new LocalBridgeOptions { RepoRoot = RepoRoot.Path, Host = Quick, TimerTriggers = false, ConfigureLogging = _ => { } });

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
