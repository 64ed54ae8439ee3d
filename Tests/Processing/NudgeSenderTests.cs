using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

/// <summary>
/// The nudges of concurrent transitions go together (a group commit): one alone goes at once as itself; those raised
/// while a send is in flight go as one message when it returns; each caller learns its own send's outcome; and the
/// effects worker performs a message of many exactly as it would each alone.
/// </summary>
public sealed class NudgeSenderTests
{
    /// <summary>A queue whose sends wait for the test's go while <see cref="Hold"/> is set.</summary>
    private sealed class HeldQueue : IQueueSender
    {
        public SemaphoreSlim Go { get; } = new(0);
        public SemaphoreSlim Entered { get; } = new(0);
        public bool Hold { get; set; }
        public Func<object, Exception?> Refuse { get; set; } = _ => null;
        public List<EffectsMessage> Sent { get; } = [];
        public List<string?> SentAs { get; } = [];
        public static AsyncLocal<string?> Caller { get; } = new();

        public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken) =>
            SendAsync(queueName, message, TimeSpan.Zero, cancellationToken);

        public async Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken)
        {
            Assert.Equal(QueueNames.Effects, queueName);
            if (Hold)
            {
                Entered.Release();
                await Go.WaitAsync(cancellationToken);
            }
            if (Refuse(message!) is { } refused)
            {
                throw refused;
            }
            lock (Sent)
            {
                Sent.Add((EffectsMessage)(object)message!);
                SentAs.Add(Caller.Value);
            }
        }
    }

    private static NudgeEffects Nudge(string eventId) => new(RequestId.For(eventId), [1]);

    /// <summary>A sender whose first send (of <paramref name="eventId"/>'s nudge) is in flight, held by the queue.</summary>
    private static async Task<(HeldQueue Queue, NudgeSender Sender, Task First)> HeldFirstSendAsync(string eventId)
    {
        var queue = new HeldQueue { Hold = true };
        var sender = new NudgeSender(queue);
        var first = sender.SendAsync(Nudge(eventId), default);
        Assert.True(await queue.Entered.WaitAsync(TimeSpan.FromSeconds(10)));
        return (queue, sender, first);
    }

    [Fact]
    public async Task SendAsync_Alone_GoesAtOnceAsTheNudgeItself()
    {
        var queue = new HeldQueue();

        await new NudgeSender(queue).SendAsync(Nudge("a"), default);

        Assert.Equal(RequestId.For("a"), Assert.IsType<NudgeEffects>(Assert.Single(queue.Sent)).RequestId);
    }

    [Fact]
    public async Task SendAsync_WhileASendIsInFlight_TheNudgesRaisedMeanwhileGoTogether_AndEachCallerWaitsForItsOwn()
    {
        var (queue, sender, first) = await HeldFirstSendAsync("a");
        var later = new[] { "b", "c", "d" }.Select(e => sender.SendAsync(Nudge(e), default)).ToArray();

        queue.Go.Release();
        await first;
        Assert.DoesNotContain(later, t => t.IsCompleted); // theirs is the next send, still held
        Assert.True(await queue.Entered.WaitAsync(TimeSpan.FromSeconds(10)));
        queue.Go.Release();
        await Task.WhenAll(later);

        Assert.Equal(2, queue.Sent.Count);
        Assert.Equal(RequestId.For("a"), Assert.IsType<NudgeEffects>(queue.Sent[0]).RequestId);
        Assert.Equal(new[] { "b", "c", "d" }.Select(e => RequestId.For(e)).ToArray(), Assert.IsType<NudgeMany>(queue.Sent[1]).Nudges.Select(n => n.RequestId));
    }

    [Fact]
    public async Task SendAsync_ARoundGoesOutInItsFirstCallersContext_NotThePreviousRounds()
    {
        var queue = new HeldQueue { Hold = true };
        var sender = new NudgeSender(queue);
        Task As(string caller, string eventId) => Task.Run(() =>
        {
            HeldQueue.Caller.Value = caller; // the invocation a send is counted for, its trace: what flows with the caller
            return sender.SendAsync(Nudge(eventId), default);
        });
        var first = As("a", "a");
        Assert.True(await queue.Entered.WaitAsync(TimeSpan.FromSeconds(10)));
        var b = As("b", "b");
        var c = As("c", "c");
        queue.Hold = false;
        queue.Go.Release();

        await Task.WhenAll(first, b, c);

        // However b and c met the rounds (together, or each leading its own), no later round went out as "a".
        Assert.Equal("a", queue.SentAs[0]);
        Assert.All(queue.SentAs.Skip(1), who => Assert.Contains(who, new[] { "b", "c" }));
        Assert.Equal(3, queue.Sent.Sum(m => m is NudgeMany many ? many.Nudges.Count : 1));
    }

    [Fact]
    public async Task SendAsync_MoreThanOneMessageHolds_GoInMessagesOfAtMostTheLimit()
    {
        var (queue, sender, first) = await HeldFirstSendAsync("first");
        var later = Enumerable.Range(0, NudgeSender.MaxPerMessage + 3).Select(i => sender.SendAsync(Nudge("e" + i), default)).ToArray();
        queue.Hold = false;
        queue.Go.Release();

        await Task.WhenAll([first, .. later]);

        Assert.Equal([1, NudgeSender.MaxPerMessage, 3], queue.Sent.Select(m => m is NudgeMany many ? many.Nudges.Count : 1));
    }

    [Fact]
    public async Task SendAsync_TheSendFails_EveryCallerItCarriedIsTold_AndTheNextSendIsNotHeldBack()
    {
        var (queue, sender, first) = await HeldFirstSendAsync("a");
        var later = new[] { "b", "c" }.Select(e => sender.SendAsync(Nudge(e), default)).ToArray();
        queue.Hold = false;
        queue.Refuse = m => m is NudgeMany ? new InvalidOperationException("queue refused") : null;
        queue.Go.Release();

        await first;
        foreach (var t in later)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => t);
        }
        queue.Refuse = _ => null;
        await sender.SendAsync(Nudge("d"), default);
        Assert.Equal([RequestId.For("a"), RequestId.For("d")], queue.Sent.Cast<NudgeEffects>().Select(n => n.RequestId));
    }

    [Fact]
    public async Task SendAsync_TooLargeTogether_EachGoesAlone_WithoutItsRowIfNeedBe()
    {
        var (queue, sender, first) = await HeldFirstSendAsync("a");
        var row = new Stored<ChangeRequest>(ChangeRequest.Open(RequestId.For("b"), TestData.Change(ChangeKind.Add), DateTimeOffset.UnixEpoch), "\"etag\"");
        var later = new[] { "b", "c" }.Select(e => sender.SendAsync(Nudge(e) with { Written = row }, default)).ToArray();
        queue.Hold = false;
        queue.Refuse = m => m is NudgeMany or NudgeEffects { Written: not null } ? new QueueMessageTooLargeException(QueueNames.Effects, 70_000, 90_000) : null;
        queue.Go.Release();

        await Task.WhenAll([first, .. later]);

        Assert.Equal(new[] { "a", "b", "c" }.Select(e => RequestId.For(e)).ToArray(), queue.Sent.Cast<NudgeEffects>().Select(n => n.RequestId));
        Assert.All(queue.Sent.Cast<NudgeEffects>(), n => Assert.Null(n.Written));
    }

    [Fact]
    public async Task EffectsWorker_NudgeMany_PerformsAndClearsEachRequestsEffects_InOrder_AsIfEachCameAlone()
    {
        var b = new Bridge();
        b.Slack.UsersByEmail["alice@example.com"] = "UREQ";
        b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await b.OnboardAsync();
        var ids = new List<string>();
        foreach (var port in new[] { 22, 23, 24 })
        {
            var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [b.Ec2.AddExisting(TestData.Tcp(port, "10.0.0.0/8", "p" + port))] };
            Assert.Equal(ProcessOutcome.Reverted, await b.Processor().ProcessAsync(change, 1, default));
            ids.Add(b.Request(change).Id);
        }
        var pending = new List<NudgeEffects>();
        foreach (var id in ids)
        {
            var request = (await b.Requests.GetAsync(id, default))!.Value;
            Assert.NotEmpty(request.Effects);
            pending.Add(new NudgeEffects(id, request.Effects.Select(e => e.Id).ToArray()));
        }

        await b.Effects().HandleAsync(new NudgeMany(pending), 1, default);

        foreach (var id in ids)
        {
            Assert.Empty((await b.Requests.GetAsync(id, default))!.Value.Effects);
        }
        // One batch (same requester, same group): its first request posted the batch's messages before the others joined,
        // so they wait for one debounced render instead of each rendering at once.
        Assert.Single(b.Slack.Posts, p => p.Channel == "CAPPROVERS");
        Assert.Empty(b.Slack.Updates);
        Assert.Single(b.Queue.Delayed, d => d.Queue == QueueNames.Effects && BridgeJson.Deserialize<EffectsMessage>(d.Json) is RenderBatch);
        Assert.All(ids, id => Assert.Equal(1, b.Slack.Posts.Count(p => p.Channel == "UREQ"
            && p.Blocks?.ToJsonString().Contains(ActionIds.For(ActionIds.GiveReason, id), StringComparison.Ordinal) == true))); // each reason DM once
    }
}

public sealed class NudgeManyJsonTests
{
    [Fact]
    public void NudgeMany_RoundTrips_WithEachNudgesCarriedRow()
    {
        var row = new Stored<ChangeRequest>(ChangeRequest.Open(RequestId.For("b"), TestData.Change(ChangeKind.Add), DateTimeOffset.UnixEpoch), "\"etag\"");
        var json = BridgeJson.Serialize<EffectsMessage>(new NudgeMany([new NudgeEffects(row.Value.Id, [1], row), new NudgeEffects(RequestId.For("c"), [2])]));

        var text = System.Text.Encoding.UTF8.GetString(QueuePayload.Encode(BridgeJson.Deserialize<EffectsMessage>(json), 48_000, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        var back = Assert.IsType<NudgeMany>(QueuePayload.Read<EffectsMessage>(text).Body);

        Assert.Equal((row.Value.Id, "\"etag\""), (back.Nudges[0].Written!.Value.Id, back.Nudges[0].Written!.ETag));
        Assert.Null(back.Nudges[1].Written);
    }
}
