using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Azure.Storage.Queues.Models;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Telemetry;

/// <summary>The trace context in queue messages: the envelope, the old forms still read, and the consumer's span.</summary>
public sealed class QueueTraceTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly DateTimeOffset At = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    private static string Text(byte[] payload) => Encoding.ASCII.GetString(payload);

    [Fact]
    public void Encode_WithTraceParent_WritesAnEnvelopeThatReadsBack()
    {
        var text = Encoding.UTF8.GetString(QueuePayload.Encode(new RedriveEffects("SG-1", At), 1000, TraceParent, "vendor=x"));

        Assert.StartsWith("{\"traceparent\":\"" + TraceParent + "\",\"tracestate\":\"vendor=x\",\"body\":{", text, StringComparison.Ordinal);
        var content = QueuePayload.Read<RedriveEffects>(text);
        Assert.Equal(new RedriveEffects("SG-1", At), content.Body);
        Assert.Equal((TraceParent, "vendor=x"), (content.TraceParent, content.TraceState));
        Assert.Equal(new RedriveEffects("SG-1", At), QueuePayload.Decode<RedriveEffects>(text));
    }

    [Fact]
    public void Encode_WithoutTraceParent_WritesPlainJsonAsBefore() =>
        Assert.Equal(BridgeJson.Serialize(new RedriveEffects("SG-1", At)), Text(QueuePayload.Encode(new RedriveEffects("SG-1", At), 1000, null, null)));

    [Fact]
    public void Read_PlainJsonFromBeforeEnvelopes_HasNoTraceContext()
    {
        var content = QueuePayload.Read<EffectsMessage>(BridgeJson.Serialize<EffectsMessage>(new RenderBatch("home-1", "SG-2", At)));

        Assert.Equal(new RenderBatch("home-1", "SG-2", At), content.Body);
        Assert.Null(content.TraceParent);
    }

    [Fact]
    public void Read_CompressedMessageFromBeforeEnvelopes_StillDecodes()
    {
        // Exactly what the sender wrote before envelopes: gz: + base64(gzip(json)).
        var json = Encoding.UTF8.GetBytes(BridgeJson.Serialize(new RedriveEffects("SG-3", At)));
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(json);
        }
        var text = "gz:" + Convert.ToBase64String(buffer.ToArray());

        var content = QueuePayload.Read<RedriveEffects>(text);

        Assert.Equal(new RedriveEffects("SG-3", At), content.Body);
        Assert.Null(content.TraceParent);
    }

    [Fact]
    public void Encode_LargeEnvelope_IsCompressedWhole_AndKeepsTheTraceContext()
    {
        var change = TestData.Change(ChangeKind.Add) with
        {
            Rules = Enumerable.Range(0, 400).Select(i => TestData.Tcp(1000 + i, $"10.{i / 250}.{i % 250}.0/24", $"service {i}")).ToArray(),
        };

        var text = Text(QueuePayload.Encode(change, StorageQueueSender.MaxPayloadBytes, TraceParent, null));

        Assert.StartsWith("gz:", text, StringComparison.Ordinal);
        var content = QueuePayload.Read<SecurityGroupChange>(text);
        Assert.Equal(TraceParent, content.TraceParent);
        Assert.Equal(BridgeJson.Serialize(change), BridgeJson.Serialize(content.Body));
    }

    [Fact]
    public void Read_ObjectWithATraceParentAmongOtherProperties_IsNotAnEnvelope()
    {
        // Only {traceparent, tracestate?, body} is an envelope: anything else is the message itself.
        var content = QueuePayload.Read<Dictionary<string, string>>("{\"traceparent\":\"x\",\"body\":\"b\",\"other\":\"o\"}");

        Assert.Equal(3, content.Body.Count);
        Assert.Null(content.TraceParent);
    }

    [Fact]
    public async Task RunAsync_MessageWithTraceContext_ContinuesTheSendersTraceAndLinksTheInvocation()
    {
        using var collected = new ActivityCollector();
        using var invocation = new Activity("host invocation").Start();
        var text = Text(QueuePayload.Encode(new RedriveEffects("SG-4", At), 1000, TraceParent, null));
        RedriveEffects? handled = null;

        await QueueTrace.RunAsync<RedriveEffects>(Message(text, dequeueCount: 2), QueueNames.Effects, "PerformEffects", (c, _) =>
        {
            handled = c;
            return Task.CompletedTask;
        }, default);

        Assert.Equal(new RedriveEffects("SG-4", At), handled);
        var span = Assert.Single(collected.Stopped, a => a.TraceId.ToHexString() == "0af7651916cd43dd8448eb211c80319c");
        Assert.Equal(("PerformEffects", ActivityKind.Consumer), (span.OperationName, span.Kind));
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        Assert.Equal(invocation.Context, Assert.Single(span.Links).Context);
        Assert.Equal("SG-4", span.GetTagItem(TelemetryTags.RequestId));
        Assert.Equal(QueueNames.Effects, span.GetTagItem(TelemetryTags.MessagingDestination));
        Assert.Equal(2L, span.GetTagItem(TelemetryTags.DequeueCount));
    }

    [Fact]
    public async Task RunAsync_PlainMessage_StartsUnderTheCurrentActivity()
    {
        using var collected = new ActivityCollector();
        using var invocation = new Activity("host invocation").Start();

        await QueueTrace.RunAsync<RedriveEffects>(Message(BridgeJson.Serialize(new RedriveEffects("SG-5", At))), QueueNames.Effects, "PerformEffects", (_, _) => Task.CompletedTask, default);

        var span = Assert.Single(collected.Stopped, a => a.TraceId == invocation.TraceId);
        Assert.Equal(invocation.SpanId, span.ParentSpanId);
    }

    [Fact]
    public async Task RunAsync_HandlerThrows_RecordsTheErrorAndRethrows()
    {
        using var collected = new ActivityCollector();
        using var root = new Activity("root").Start();
        var text = Text(QueuePayload.Encode(new RedriveEffects("SG-6", At), 1000, root.Id, null));

        await Assert.ThrowsAsync<TimeoutException>(() => QueueTrace.RunAsync<RedriveEffects>(Message(text), QueueNames.Effects, "PerformEffects",
            (_, _) => throw new TimeoutException("EC2 slow"), default));

        var span = Assert.Single(collected.Stopped, a => a.TraceId == root.TraceId && a.OperationName == "PerformEffects");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Contains(span.Events, e => e.Name == "exception");
    }

    private static QueueMessage Message(string text, long dequeueCount = 1) =>
        QueuesModelFactory.QueueMessage("message-id", "pop", text, dequeueCount);
}
