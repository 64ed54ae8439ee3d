using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Intake;
using SgBridge.Tests.EndToEnd;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Operations;

/// <summary>
/// The heartbeat as EventBridge delivers it (a scheduled rule's event through the API destination) posted to the real
/// intake function on Azurite: recorded and counted, no request opened; anything else still goes to the CloudTrail parser.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HeartbeatTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private PipelineHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await PipelineHarness.StartAsync(azurite, moto);
        await _h.ResetQueuesAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    /// <summary>What a scheduled rule sends (EventBridge User Guide: "Scheduled Event" from aws.events).</summary>
    private static JsonObject ScheduledEvent(string id, DateTimeOffset time) => new()
    {
        ["version"] = "0",
        ["id"] = id,
        ["detail-type"] = "Scheduled Event",
        ["source"] = "aws.events",
        ["account"] = "123456789012",
        ["time"] = time.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        ["region"] = "eu-west-1",
        ["resources"] = new JsonArray("arn:aws:events:eu-west-1:123456789012:rule/sgbridge-heartbeat"),
        ["detail"] = new JsonObject(),
    };

    [Fact]
    public async Task Intake_Heartbeat_IsRecordedAndCounted_WithoutARequest()
    {
        using var metrics = new SgBridge.Tests.Telemetry.MetricRecorder(_h.Services.GetRequiredService<SgBridge.Shared.Telemetry.BridgeTelemetry>().Meter);
        var heartbeat = _h.Services.GetRequiredService<Heartbeat>();
        Assert.Null(await heartbeat.LastAsync(default));
        var sent = DateTimeOffset.UtcNow.AddSeconds(-3);

        var (status, body) = await _h.PostEventAsync(ScheduledEvent("beat-1", sent));
        await _h.PostEventAsync(ScheduledEvent("beat-2", sent.AddSeconds(1)));

        Assert.Equal(202, status);
        Assert.Contains("Heartbeat", body, StringComparison.Ordinal);
        var last = await heartbeat.LastAsync(default);
        Assert.NotNull(last);
        Assert.Equal(("beat-2", "arn:aws:events:eu-west-1:123456789012:rule/sgbridge-heartbeat"), (last.EventId, last.Rule));
        Assert.True(last.ReceivedAt >= sent);
        Assert.Equal(2, metrics.Sum("sgbridge.heartbeats"));
        Assert.Equal(0, await _h.QueueLengthAsync(SgBridge.Shared.Storage.QueueNames.Changes));
    }

    [Fact]
    public async Task Intake_ScheduledEventLookalikeWithAnotherSource_IsStillRejected()
    {
        var other = ScheduledEvent("x-1", DateTimeOffset.UtcNow);
        other["source"] = "custom.app";

        var (status, _) = await _h.PostEventAsync(other);

        Assert.Equal(400, status);
        Assert.Null(await _h.Services.GetRequiredService<Heartbeat>().LastAsync(default));
    }

    [Theory]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"id\":\"a\"}", true)]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"AWS API Call via CloudTrail\"}", false)]
    [InlineData("{\"source\":[\"aws.events\"],\"detail-type\":\"Scheduled Event\"}", false)]
    [InlineData("[1,2]", false)]
    [InlineData("{not json", false)]
    public void IsHeartbeat_OnlyAScheduledEventFromEventBridge(string json, bool expected)
    {
        Assert.Equal(expected, Heartbeat.IsHeartbeat(System.Text.Encoding.UTF8.GetBytes(json), out _, out _, out _, out _));
    }

    [Theory]
    [InlineData("source")]
    [InlineData("detail-type")]
    [InlineData("id")]
    public void IsHeartbeat_AStringThatIsNotUtf8_IsNotAHeartbeat_AndDoesNotThrow(string field)
    {
        // A lone continuation byte inside the string: JSON-valid bytes, not UTF-8 (the fuzz harness found it threw).
        var json = System.Text.Encoding.UTF8.GetBytes("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"id\":\"a\"}");
        var at = Array.IndexOf(json, (byte)'"', System.Text.Encoding.UTF8.GetString(json).IndexOf($"\"{field}\":\"", StringComparison.Ordinal) + field.Length + 4);
        var body = json[..at].Concat(new byte[] { 0x80 }).Concat(json[at..]).ToArray();

        Assert.False(Heartbeat.IsHeartbeat(body, out _, out _, out _, out _));
    }
}
