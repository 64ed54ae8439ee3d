using Azure.Storage.Queues.Models;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Faults;

/// <summary>The poison triggers, called as the host calls them, with the message forms the sender writes.</summary>
public class PoisonFunctionTests
{
    private readonly Bridge _bridge = new();

    private static QueueMessage Message(string text, long dequeue = 1) => QueuesModelFactory.QueueMessage("id-1", "pop", text, dequeue);

    [Theory]
    [InlineData(5)]
    [InlineData(400)]
    public async Task ChangesPoison_ReadsPlainAndCompressedChanges(int rules)
    {
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with
        {
            Rules = Enumerable.Range(0, rules).Select(i => TestData.Tcp(1000 + i, $"10.{i / 250}.{i % 250}.0/24", $"service {i}", $"sgr-{i:x17}")).ToArray(),
        };
        var text = System.Text.Encoding.ASCII.GetString(QueuePayload.Encode(change, StorageQueueSender.MaxPayloadBytes));

        await new ChangesPoison(_bridge.Poison()).RunAsync(Message(text), default);

        Assert.Equal(RequestStatus.RevertFailed, _bridge.Request(change).Status);
    }

    [Fact]
    public async Task EveryPoisonTrigger_CompletesOnGarbage()
    {
        var poison = _bridge.Poison();
        await new ChangesPoison(poison).RunAsync(Message("{\"eventId\":"), default);
        await new EffectsPoison(poison).RunAsync(Message("\u0000\u0001"), default);
        await new EffectsPoison(poison).RunAsync(Message("{}"), default);
        await new ReconcilePoison(poison).RunAsync(Message("gz:AAAA"), default);

        Assert.Equal(4, _bridge.Slack.Posts.Count);
        Assert.Empty(_bridge.Requests.All);
    }

    [Fact]
    public async Task EffectsPoison_MissingRequest_TellsMonitoring()
    {
        await new EffectsPoison(_bridge.Poison()).RunAsync(Message(BridgeJson.Serialize<SgBridge.Shared.Processing.EffectsMessage>(new SgBridge.Shared.Processing.NudgeEffects(RequestId.For("x"), [1]))), default);

        Assert.Equal("CMONITOR", Assert.Single(_bridge.Slack.Posts).Channel);
    }
}
