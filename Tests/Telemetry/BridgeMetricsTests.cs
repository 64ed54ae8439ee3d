using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Telemetry;

/// <summary>Each metric of the "SgBridge" Meter is emitted where its description says, with its tags, seen through a MeterListener.</summary>
public sealed class BridgeMetricsTests : IDisposable
{
    private readonly BridgeTelemetry _telemetry = new();
    private readonly MetricRecorder _metrics;
    private readonly RecordingQueue _queue = new();

    public BridgeMetricsTests() => _metrics = new MetricRecorder(_telemetry.Meter);

    public void Dispose()
    {
        _metrics.Dispose();
        _telemetry.Dispose();
    }

    private EventIntake Intake(string accounts = TestData.Account)
    {
        var policy = O.Create(new PolicyOptions { AllowedAccounts = accounts });
        return new Bridge { Telemetry = _telemetry }.EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = Bridge.BridgeRole, WebIdentityAudience = "api://x" })), _queue, policy, new IntakeOptions(), TimeProvider.System);
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(RepoRoot.Sample(name));

    [Fact]
    public async Task Reconcile_CountsEachReconcile_ByTriggerAndOutcome()
    {
        var bridge = new Bridge();
        using var metrics = new MetricRecorder(bridge.Telemetry.Meter);
        bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await bridge.OnboardAsync();
        var added = bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        await bridge.Processor().ProcessAsync(TestData.Change(ChangeKind.Add, "e-real") with { Rules = [added] }, 1, default);
        await bridge.Processor().ProcessAsync(TestData.Change(ChangeKind.Add, "e-forged") with { Rules = [added] }, 1, default);

        Assert.Equal(1, metrics.Sum("sgbridge.reconciles", ("trigger", "event"), (TelemetryTags.Outcome, "acted")));
        Assert.Equal(1, metrics.Sum("sgbridge.reconciles", ("trigger", "event"), (TelemetryTags.Outcome, "nothing_to_undo")));
    }

    [Fact]
    public async Task Intake_AcceptedEvent_CountsOutcomeAccepted()
    {
        var result = await Intake().AcceptAsync(Sample("authorize-ssh-from-internet.json"), "application/json", default);

        Assert.Equal(202, result.StatusCode);
        var measurement = Assert.Single(_metrics.Of("sgbridge.events"));
        Assert.Equal(1, measurement.Value);
        Assert.Equal("accepted", measurement.Tags[TelemetryTags.Outcome]);
        Assert.Equal(202, measurement.Tags[TelemetryTags.Status]);
    }

    [Fact]
    public async Task Intake_RefusedEvents_CountEachReason()
    {
        var intake = Intake();

        await intake.AcceptAsync(Array.Empty<byte>(), "application/json", default);
        await intake.AcceptAsync("{}"u8.ToArray(), "text/plain", default);
        await intake.AcceptAsync(Encoding.UTF8.GetBytes("{\"version\": \"0\", "), "application/json", default);
        await Intake(accounts: "222222222222").AcceptAsync(Sample("authorize-ssh-from-internet.json"), "application/json", default);

        Assert.Equal(4, _metrics.Sum("sgbridge.events", (TelemetryTags.Outcome, "refused")));
        Assert.Equal(1, _metrics.Sum("sgbridge.events", (TelemetryTags.Reason, "empty"), (TelemetryTags.Status, 400)));
        Assert.Equal(1, _metrics.Sum("sgbridge.events", (TelemetryTags.Reason, "media_type"), (TelemetryTags.Status, 415)));
        Assert.Equal(1, _metrics.Sum("sgbridge.events", (TelemetryTags.Reason, "account_not_allowed"), (TelemetryTags.Status, 403)));
        var parseRefusal = Assert.Single(_metrics.Of("sgbridge.events"), m => (int)m.Tags[TelemetryTags.Status]! == 400 && (string)m.Tags[TelemetryTags.Reason]! != "empty");
        Assert.False(string.IsNullOrEmpty((string?)parseRefusal.Tags[TelemetryTags.Reason]));
        Assert.Empty(_metrics.Of("sgbridge.failures"));
    }

    [Fact]
    public async Task Intake_EgressNotPoliced_CountsSkipped()
    {
        await Intake().AcceptAsync(Sample("authorize-egress.json"), "application/json", default);

        Assert.Equal(1, _metrics.Sum("sgbridge.events", (TelemetryTags.Outcome, "skipped"), (TelemetryTags.Reason, "egress_not_policed")));
    }

    [Fact]
    public async Task Intake_QueueUnreachable_CountsUnavailableAndAStorageFailure()
    {
        _queue.FailWith = new StorageUnavailableException("storage down", null);

        var result = await Intake().AcceptAsync(Sample("authorize-ssh-from-internet.json"), "application/json", default);

        Assert.Equal(503, result.StatusCode);
        Assert.Equal(1, _metrics.Sum("sgbridge.events", (TelemetryTags.Outcome, "unavailable"), (TelemetryTags.Reason, "queue_error")));
        Assert.Equal(1, _metrics.Sum("sgbridge.failures", (TelemetryTags.Kind, "storage")));
    }

    [Fact]
    public async Task Revert_CountsTheRequestStatusAndRecordsEventToRevertedLatency()
    {
        var bridge = new Bridge();
        var rule = bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "ssh"));
        var change = TestData.Change(ChangeKind.Add) with { Rules = [rule], EventTime = bridge.Time.GetUtcNow() };
        bridge.Time.Advance(TimeSpan.FromSeconds(7));

        await Processor(bridge).ProcessAsync(change, 1, default);

        var status = bridge.Request(change).Status.ToString();
        Assert.Equal(1, _metrics.Sum("sgbridge.requests", (TelemetryTags.Status, status)));
        Assert.Equal(7, Assert.Single(_metrics.Of("sgbridge.revert.latency")).Value);
    }

    [Fact]
    public async Task Revert_FailingOnTheLastTry_CountsARevertFailure()
    {
        var bridge = new Bridge();
        var rule = bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0", "ssh"));
        var change = TestData.Change(ChangeKind.Add) with { Rules = [rule] };
        bridge.Ec2.Throw = new InvalidOperationException("EC2 down");
        bridge.Ec2.ThrowTimes = 100;

        await Assert.ThrowsAnyAsync<Exception>(() => Processor(bridge).ProcessAsync(change, bridge.Processing.MaxDequeueCount, default));

        Assert.Equal(RequestStatus.RevertFailed, bridge.Request(change).Status);
        Assert.Equal(1, _metrics.Sum("sgbridge.failures", (TelemetryTags.Kind, "revert")));
        Assert.Equal(1, _metrics.Sum("sgbridge.requests", (TelemetryTags.Status, nameof(RequestStatus.RevertFailed))));
    }

    /// <summary>The processor as Bridge builds it, with the telemetry under test.</summary>
    private ChangeProcessor Processor(Bridge bridge) =>
        new(bridge.ChangePolicy(), new RequestLifecycle(bridge.Requests, bridge.Queue, _telemetry, NullLogger<RequestLifecycle>.Instance), bridge.Reconciler(), bridge.Ec2,
            O.Create(bridge.Processing), bridge.Time, NullLogger<ChangeProcessor>.Instance, _telemetry, bridge.Queue, bridge.PolicyGate(),
            new SgBridge.Shared.Aws.UnrecordedRevokes(bridge.Time, NullLogger<SgBridge.Shared.Aws.UnrecordedRevokes>.Instance));
}
