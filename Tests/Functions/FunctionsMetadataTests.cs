using System.Text.Json;
using SgBridge.FunctionApp;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Functions;

/// <summary>
/// The Functions SDK writes functions.metadata at build time: it is what the host reads to wire triggers.
/// Holding it to the code catches a wrong route, auth level or queue name without needing the host.
/// </summary>
public class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(() =>
    {
        var path = Path.Combine(RepoRoot.FunctionAppOutput, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build FunctionApp first (dotnet test SgBridge.sln builds it).");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToArray();
    });

    private static JsonElement Trigger(string function) =>
        Functions.Value.Single(f => f.GetProperty("name").GetString() == function)
            .GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void AwsIntake_IsAFunctionKeyPostOnTheDocumentedRoute()
    {
        var t = Trigger("ReceiveAwsEvent");
        Assert.Equal("httpTrigger", t.GetProperty("type").GetString());
        Assert.Equal("Function", t.GetProperty("authLevel").GetString());
        Assert.Equal(Routes.AwsEvents, t.GetProperty("route").GetString());
        Assert.Equal(["post"], t.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void RevertWorker_ListensOnTheChangesQueue()
    {
        var t = Trigger("RevertChange");
        Assert.Equal("queueTrigger", t.GetProperty("type").GetString());
        Assert.Equal(QueueNames.Changes, t.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", t.GetProperty("connection").GetString());
    }

    [Fact]
    public void ApprovalAndSlackWorkers_ListenOnTheirQueues()
    {
        Assert.Equal(QueueNames.Effects, Trigger("PerformEffects").GetProperty("queueName").GetString());
        var slack = Trigger("ReceiveSlackInteraction");
        Assert.Equal(("Anonymous", Routes.SlackInteractions), (slack.GetProperty("authLevel").GetString(), slack.GetProperty("route").GetString()));
        var events = Trigger("ReceiveSlackEvent");
        Assert.Equal(("Anonymous", Routes.SlackEvents), (events.GetProperty("authLevel").GetString(), events.GetProperty("route").GetString()));
    }

    [Theory]
    [InlineData("ChangesPoison", QueueNames.Changes)]
    [InlineData("EffectsPoison", QueueNames.Effects)]
    [InlineData("ReconcilePoison", QueueNames.Reconcile)]
    public void PoisonReaders_ListenOnEachQueuesPoisonQueue(string function, string queue)
    {
        var t = Trigger(function);
        Assert.Equal("queueTrigger", t.GetProperty("type").GetString());
        Assert.Equal(QueueNames.Poison(queue), t.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", t.GetProperty("connection").GetString());
    }

    [Fact]
    public void EveryQueue_HasAPoisonReader()
    {
        var triggered = Functions.Value.SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "queueTrigger")
            .Select(b => b.GetProperty("queueName").GetString()!)
            .ToHashSet();
        var queues = typeof(QueueNames).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
        Assert.All(queues, q => Assert.Contains(QueueNames.Poison(q), triggered));
    }

    [Fact]
    public void Expiry_RunsOnATimer()
    {
        var t = Trigger("ExpireStaleRequests");
        Assert.Equal("timerTrigger", t.GetProperty("type").GetString());
        Assert.Equal("0 */15 * * * *", t.GetProperty("schedule").GetString());
    }

    [Fact]
    public void Retention_PurgesOnADailyTimer()
    {
        var t = Trigger("PurgeOldRequests");
        Assert.Equal(("timerTrigger", "0 30 3 * * *"), (t.GetProperty("type").GetString(), t.GetProperty("schedule").GetString()));
    }

    [Fact]
    public void Reconcile_WorkerListensOnItsQueue_AndTheSweepTimerTicksEveryMinute()
    {
        Assert.Equal(QueueNames.Reconcile, Trigger("ReconcileGroups").GetProperty("queueName").GetString());
        var sweep = Trigger("SweepForDrift");
        Assert.Equal(("timerTrigger", "0 * * * * *"), (sweep.GetProperty("type").GetString(), sweep.GetProperty("schedule").GetString()));
    }

    [Fact]
    public void EveryQueueTrigger_UsesAKnownQueue()
    {
        var queues = typeof(QueueNames).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        var known = queues.Concat(queues.Select(QueueNames.Poison)).ToHashSet();
        var used = Functions.Value.SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "queueTrigger")
            .Select(b => b.GetProperty("queueName").GetString()!)
            .ToList();
        Assert.NotEmpty(used);
        Assert.All(used, q => Assert.Contains(q, known));
    }

    [Fact]
    public void OnlyTheSlackEndpoint_IsAnonymous()
    {
        var anonymous = Functions.Value
            .Where(f => f.GetProperty("bindings").EnumerateArray().Any(b => b.TryGetProperty("authLevel", out var a) && a.GetString() == "Anonymous"))
            .Select(f => f.GetProperty("name").GetString())
            .ToList();
        // The Slack endpoints (interactions, the /sgbridge command, the Events API): Slack's request signature is their lock.
        Assert.Equal(["ReceiveSlackCommand", "ReceiveSlackEvent", "ReceiveSlackInteraction"], anonymous.Order());
    }
}
