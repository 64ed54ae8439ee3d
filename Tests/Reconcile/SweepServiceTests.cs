using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Reconcile;

/// <summary>The sweep's timer, fan-out and settle checks over fakes.</summary>
public class SweepServiceTests
{
    private readonly Bridge _bridge = new();

    private readonly InMemoryKnownAccounts _known = new();

    private SweepScheduler Scheduler() =>
        new(_known, new OperatorJobs(_bridge.Queue), O.Create(_bridge.Reconcile), O.Create(_bridge.Policy), _bridge.Time, NullLogger<SweepScheduler>.Instance);

    [Theory]
    [InlineData("2026-11-24T10:15:00Z", 15, 2)]
    [InlineData("2026-11-24T10:16:00Z", 15, 0)]
    [InlineData("2026-11-24T10:00:00Z", 60, 2)]
    [InlineData("2026-11-24T10:00:00Z", 0, 0)]
    public async Task TickAsync_EnqueuesOneSweepPerAccountAndRegion_AtIntervalBoundariesOnly(string now, int minutes, int expected)
    {
        _bridge.Policy.AllowedAccounts = "111111111111,222222222222";
        _bridge.Reconcile.Regions = "eu-west-1";
        _bridge.Reconcile.Interval = TimeSpan.FromMinutes(minutes);
        _bridge.Time.AdjustTime(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected, await Scheduler().TickAsync(default));
        Assert.Equal(expected, _bridge.Queue.On<ReconcileMessage>(QueueNames.Reconcile).Count);
    }

    [Fact]
    public async Task TickAsync_WithNoRegions_SweepsNothing()
    {
        _bridge.Time.AdjustTime(new DateTimeOffset(2026, 11, 24, 10, 15, 0, TimeSpan.Zero));
        Assert.Equal(0, await Scheduler().TickAsync(default));
    }

    [Fact]
    public async Task TickAsync_WithEveryAccountAllowed_SweepsEveryKnownAccount_InEveryRegion()
    {
        _bridge.Policy.AllowedAccounts = "*";
        _bridge.Reconcile.Regions = "eu-west-1,us-east-1";
        _bridge.Time.AdjustTime(new DateTimeOffset(2026, 11, 24, 10, 15, 0, TimeSpan.Zero));
        await _known.NoteAsync("111111111111", "baseline", _bridge.Time.GetUtcNow(), default);
        await _known.NoteAsync("222222222222", "first sight", _bridge.Time.GetUtcNow(), default);

        Assert.Equal(4, await Scheduler().TickAsync(default));

        var swept = _bridge.Queue.On<ReconcileMessage>(QueueNames.Reconcile).Select(c => $"{c.AccountId} {c.Region}").Order(StringComparer.Ordinal);
        Assert.Equal(["111111111111 eu-west-1", "111111111111 us-east-1", "222222222222 eu-west-1", "222222222222 us-east-1"], swept);
    }

    [Fact]
    public async Task TickAsync_WithEveryAccountAllowed_AndNoKnownAccount_SweepsNothing()
    {
        _bridge.Policy.AllowedAccounts = "*";
        _bridge.Reconcile.Regions = "eu-west-1";
        _bridge.Time.AdjustTime(new DateTimeOffset(2026, 11, 24, 10, 15, 0, TimeSpan.Zero));

        Assert.Equal(0, await Scheduler().TickAsync(default));
    }

    [Fact]
    public async Task TickAsync_WithAList_IgnoresKnownAccountsOutsideIt()
    {
        _bridge.Policy.AllowedAccounts = "111111111111";
        _bridge.Reconcile.Regions = "eu-west-1";
        _bridge.Time.AdjustTime(new DateTimeOffset(2026, 11, 24, 10, 15, 0, TimeSpan.Zero));
        await _known.NoteAsync("333333333333", "first sight", _bridge.Time.GetUtcNow(), default);

        Assert.Equal(1, await Scheduler().TickAsync(default));
        Assert.Equal("111111111111", Assert.Single(_bridge.Queue.On<ReconcileMessage>(QueueNames.Reconcile)).AccountId);
    }

    [Fact]
    public async Task Sweep_DefersDifferencesToASettleCheck_WhichActsOnlyOnThoseStillThere()
    {
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await _bridge.OnboardAsync();
        var drift = _bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        var report = await _bridge.Sweeps().SweepAsync(TestData.Account, TestData.Region, actNow: false, reportOnly: false, default);

        Assert.Equal((1, 1), (report.GroupsWithDifferences, report.Differences));
        Assert.Contains(drift, _bridge.Ec2.Rules); // not yet: its event may be on its way
        var (_, json, delay) = Assert.Single(_bridge.Queue.Delayed);
        Assert.Equal(TimeSpan.FromSeconds(60), delay);
        var settle = Assert.IsType<SettleGroup>(BridgeJson.Deserialize<ReconcileMessage>(json));

        // Meanwhile a new difference appears: the settle check leaves it for its own check.
        var newer = _bridge.Ec2.AddExisting(TestData.Tcp(3389, "0.0.0.0/0"));
        await _bridge.Sweeps().HandleAsync(settle, default);

        Assert.DoesNotContain(drift, _bridge.Ec2.Rules);
        Assert.Contains(newer, _bridge.Ec2.Rules);
        var request = Assert.Single(_bridge.Requests.All);
        Assert.Equal((RequestStatus.Pending, PrincipalType.Unknown, ChangeKind.Add), (request.Status, request.Requester.Type, request.Kind));
    }

    [Fact]
    public async Task Settle_GroupAtItsApprovedState_NeedsNoLease_ButAGroupThatStillDiffersWaitsForIt()
    {
        _bridge.Reconcile.LeaseWait = TimeSpan.Zero;
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await _bridge.OnboardAsync();
        var drift = _bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        await _bridge.Sweeps().SweepAsync(TestData.Account, TestData.Region, actNow: false, reportOnly: false, default);
        var settle = Assert.IsType<SettleGroup>(BridgeJson.Deserialize<ReconcileMessage>(Assert.Single(_bridge.Queue.Delayed).Json));
        Assert.NotNull(await _bridge.Groups.TryAcquireLeaseAsync(TestData.Account, TestData.Region, _bridge.Ec2.GroupId, "other", _bridge.Time.GetUtcNow(), TimeSpan.FromSeconds(60), default));

        // The drift is still there: undoing it is a write, which waits for the group's lease.
        await Assert.ThrowsAsync<GroupBusyException>(() => _bridge.Sweeps().HandleAsync(settle, default));
        Assert.Contains(drift, _bridge.Ec2.Rules);

        // Its own event undid it meanwhile: the check reads, finds nothing to do, and does not need the lease.
        _bridge.Ec2.Rules.Remove(drift);
        await _bridge.Sweeps().HandleAsync(settle, default);
        Assert.Empty(_bridge.Ec2.Writes);
        Assert.Empty(_bridge.Requests.All);
    }

    [Fact]
    public async Task Settle_InReportMode_ChangesNothing_AndReportsTheSameDriftOnce()
    {
        _bridge.Reconcile.Mode = SgBridge.Shared.Options.ReconcileMode.Report;
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await _bridge.OnboardAsync();
        var drift = _bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        await _bridge.Sweeps().SweepAsync(TestData.Account, TestData.Region, actNow: true, reportOnly: true, default);
        await _bridge.Sweeps().SweepAsync(TestData.Account, TestData.Region, actNow: true, reportOnly: true, default);

        Assert.Contains(drift, _bridge.Ec2.Rules);
        Assert.Empty(_bridge.Ec2.Writes);
        Assert.Equal(RequestStatus.Reported, Assert.Single(_bridge.Requests.All).Status);
    }

    [Fact]
    public async Task Settle_WhenTheDriftRequestCannotBeStored_CountsTheLossAndFailsTheMessage()
    {
        using var metrics = new SgBridge.Tests.Telemetry.MetricRecorder(_bridge.Telemetry.Meter);
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await _bridge.OnboardAsync();
        _bridge.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));
        _bridge.Requests.Down = new InvalidOperationException("table down");

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _bridge.Sweeps().SweepAsync(TestData.Account, TestData.Region, actNow: true, reportOnly: false, default));

        Assert.Equal(1, metrics.Sum("sgbridge.failures", (SgBridge.Shared.Telemetry.TelemetryTags.Kind, "drift_unrecorded")));
    }

    [Fact]
    public async Task Handle_WorkForAnAccountNotAllowed_IsRefused()
    {
        await _bridge.Sweeps().HandleAsync(new SweepRegion("999999999999", TestData.Region, ReportOnly: false), default);

        Assert.Empty(_bridge.Ec2.Calls);
    }
}
