using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Faults;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Processing;

/// <summary>The poison reader: a failure is recorded on its request or told to the monitoring channel, and it never throws for a bad message.</summary>
public sealed class PoisonServiceTests : IDisposable
{
    private readonly Bridge _bridge = new();
    private readonly FailureCounter _failures;

    public PoisonServiceTests() => _failures = new FailureCounter(_bridge.Telemetry);

    public void Dispose() => _failures.Dispose();

    private Task<PoisonOutcome> HandleAsync(string queue, string? text, long dequeue = 1) =>
        _bridge.Poison().HandleAsync(queue, "msg-1", text, dequeue, default);

    private static SecurityGroupChange Change() =>
        TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(22, "0.0.0.0/0", ruleId: "sgr-0123456789abcdef0")] };

    [Fact]
    public async Task HandleAsync_ChangeNeverStored_OpensTheRequestAsRevertFailedNeverProcessed()
    {
        var change = Change();

        Assert.Equal(PoisonOutcome.Recorded, await HandleAsync(QueueNames.Changes, BridgeJson.Serialize(change)));

        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.RevertFailed, request.Status);
        Assert.Equal(RequestId.For(change.EventId), request.Id);
        Assert.StartsWith("Never processed", request.Revert!.Message, StringComparison.Ordinal);
        Assert.Contains((request.Id, RequestStatus.RevertFailed), _bridge.Notifier.Seen);
        Assert.Equal(1, _failures.Count("poison", QueueNames.Changes));
        Assert.Equal(1, _failures.Count("revert"));
    }

    [Fact]
    public async Task HandleAsync_ChangeAlreadyRevertFailed_DoesNothingMore()
    {
        var change = Change();
        await HandleAsync(QueueNames.Changes, BridgeJson.Serialize(change));
        _bridge.Notifier.Seen.Clear();

        Assert.Equal(PoisonOutcome.AlreadyRecorded, await HandleAsync(QueueNames.Changes, BridgeJson.Serialize(change)));

        Assert.Empty(_bridge.Notifier.Seen);
        Assert.Empty(_bridge.Slack.Posts);
    }

    [Fact]
    public async Task HandleAsync_ChangeStuckReverting_IsMarkedGaveUp()
    {
        var change = Change();
        await _bridge.Lifecycle().OpenAsync(ChangeRequest.Open(RequestId.For(change.EventId), change, _bridge.Time.GetUtcNow()), default);

        Assert.Equal(PoisonOutcome.Recorded, await HandleAsync(QueueNames.Changes, BridgeJson.Serialize(change)));

        Assert.StartsWith("Gave up", _bridge.Request(change).Revert!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_EffectsOfAnApprovedRequest_LeaveTheApplyPendingForTheCatchUp()
    {
        var change = Change();
        var (stored, _) = await _bridge.Lifecycle().OpenAsync(ChangeRequest.Open(RequestId.For(change.EventId), change, _bridge.Time.GetUtcNow()), default);
        await _bridge.Lifecycle().ChangeAsync(stored, r => { r.MarkReverted(new CallOutcome("x", true), _bridge.Time.GetUtcNow()); r.Approve("UA", "ann", _bridge.Time.GetUtcNow()); return true; }, default);
        var apply = _bridge.Request(change).Effects.Single(e => e.Kind == EffectKind.Apply);

        Assert.Equal(PoisonOutcome.Told, await HandleAsync(QueueNames.Effects, Effects(new NudgeEffects(stored.Value.Id, [apply.Id]))));

        // Not recorded ApplyFailed: the apply stays pending on the row, and the catch-up re-drives it (e.g. storage came back).
        var request = _bridge.Request(change);
        Assert.Equal(RequestStatus.Approved, request.Status);
        Assert.Contains(request.Effects, e => e.Id == apply.Id);
        Assert.Contains(stored.Value.Id, Assert.Single(_bridge.Slack.Posts).Text, StringComparison.Ordinal);
        Assert.Equal(1, _failures.Count("poison", QueueNames.Effects));
    }

    private static string Effects(EffectsMessage message) => BridgeJson.Serialize(message);

    [Fact]
    public async Task HandleAsync_NotificationAndReconcile_PostToMonitoringDirectly()
    {
        Assert.Equal(PoisonOutcome.Told, await HandleAsync(QueueNames.Effects, Effects(new NudgeEffects(RequestId.For("e"), [1]))));
        Assert.Equal(PoisonOutcome.Told, await HandleAsync(QueueNames.Reconcile, BridgeJson.Serialize<ReconcileMessage>(new SettleGroup(TestData.Account, TestData.Region, TestData.GroupId, []))));

        Assert.Equal(2, _bridge.Slack.Posts.Count);
        Assert.All(_bridge.Slack.Posts, p => Assert.Equal("CMONITOR", p.Channel));
        Assert.Contains(_bridge.Slack.Posts, p => p.Text.Contains("sgbridge redrive --queue sgbridge-reconcile", StringComparison.Ordinal));
        Assert.Equal(1, _failures.Count("poison", QueueNames.Effects));
        Assert.Equal(1, _failures.Count("poison", QueueNames.Reconcile));
    }

    [Fact]
    public async Task HandleAsync_SlackDown_LogsAndCountsWithoutThrowing()
    {
        _bridge.Slack.FailPosts = new HttpRequestException("slack down");

        Assert.Equal(PoisonOutcome.Told, await HandleAsync(QueueNames.Effects, Effects(new NudgeEffects(RequestId.For("e"), [1]))));

        Assert.Equal(1, _failures.Count("monitoring", QueueNames.Effects));
        Assert.Equal(1, _failures.Count("poison", QueueNames.Effects));
    }

    [Theory]
    [InlineData(QueueNames.Changes, "not json")]
    [InlineData(QueueNames.Changes, "{}")]
    [InlineData(QueueNames.Changes, "null")]
    [InlineData(QueueNames.Effects, "{\"$kind\":\"perform\",\"requestId\":\"../../etc\",\"effectIds\":[]}")]
    [InlineData(QueueNames.Effects, "{\"requestId\":\"SG-AAAAAAAA\"}")]
    [InlineData(QueueNames.Effects, "[1,2]")]
    [InlineData(QueueNames.Reconcile, "gz:!!!")]
    [InlineData(QueueNames.Reconcile, "")]
    [InlineData(QueueNames.Reconcile, null)]
    public async Task HandleAsync_MalformedMessage_NeverThrows_NorEchoesTheBody(string queue, string? text)
    {
        Assert.Equal(PoisonOutcome.Malformed, await HandleAsync(queue, text));

        var post = Assert.Single(_bridge.Slack.Posts);
        Assert.DoesNotContain("etc", post.Text, StringComparison.Ordinal);
        Assert.Empty(_bridge.Requests.All);
        Assert.Equal(1, _failures.Count("poison", queue));
    }

    /// <summary>Storage still down on the last try, the event within Processing:PoisonRedriveWindow: put back on the changes queue, delayed, told once.</summary>
    [Fact]
    public async Task HandleAsync_StorageDownOnTheLastTry_RecentChange_IsReDrivenToTheChangesQueue_TellingOnce()
    {
        _bridge.Requests.Down = new SgBridge.Shared.Storage.StorageUnavailableException("refused", null);
        var change = Change() with { EventTime = _bridge.Time.GetUtcNow() - TimeSpan.FromMinutes(10) };

        Assert.Equal(PoisonOutcome.Redriven, await HandleAsync(QueueNames.Changes, BridgeJson.Serialize(change), dequeue: _bridge.Processing.MaxDequeueCount));

        var (queue, json, delay) = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal((QueueNames.Changes, change.EventId, 1, TimeSpan.FromMinutes(5)),
            (queue, BridgeJson.Deserialize<SecurityGroupChange>(json).EventId, BridgeJson.Deserialize<SecurityGroupChange>(json).PoisonRedrives, delay));
        Assert.Contains("re-driven every 5 min", Assert.Single(_bridge.Slack.Posts).Text, StringComparison.Ordinal);
        Assert.Equal(1, _failures.Count("storage", QueueNames.Changes));

        // The second time round it is re-driven again, without telling again.
        Assert.Equal(PoisonOutcome.Redriven, await HandleAsync(QueueNames.Changes, json, dequeue: _bridge.Processing.MaxDequeueCount));
        Assert.Single(_bridge.Slack.Posts);
        Assert.Equal(2, BridgeJson.Deserialize<SecurityGroupChange>(_bridge.Queue.Delayed.Last().Json).PoisonRedrives);
    }

    /// <summary>Storage still down on the last try and the event older than Processing:PoisonRedriveWindow: told and dropped, as before.</summary>
    [Fact]
    public async Task HandleAsync_StorageDown_RetriesWhileTriesRemain_ThenTellsAndDropsWithoutThrowing()
    {
        _bridge.Requests.Down = new SgBridge.Shared.Storage.StorageUnavailableException("refused", null);
        var text = BridgeJson.Serialize(Change() with { EventTime = _bridge.Time.GetUtcNow() - TimeSpan.FromDays(2) });

        await Assert.ThrowsAsync<SgBridge.Shared.Storage.StorageUnavailableException>(() => HandleAsync(QueueNames.Changes, text, dequeue: 1));
        Assert.Equal(0, _failures.Count("poison"));

        Assert.Equal(PoisonOutcome.Unrecorded, await HandleAsync(QueueNames.Changes, text, dequeue: _bridge.Processing.MaxDequeueCount));

        Assert.Contains("could not record", Assert.Single(_bridge.Slack.Posts).Text, StringComparison.Ordinal);
        Assert.Equal(1, _failures.Count("poison", QueueNames.Changes));
        Assert.Equal(1, _failures.Count("storage", QueueNames.Changes));
    }
}
