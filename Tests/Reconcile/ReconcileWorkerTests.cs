using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Reconcile;

/// <summary>The reconcile queue's handler: onboarding results stored and told, a missing member role a recorded skip.</summary>
public class ReconcileWorkerTests
{
    private static readonly RoleNotAssumableException Missing =
        new(TestData.Account, $"arn:aws:iam::{TestData.Account}:role/SgBridgeExecutionRole", new InvalidOperationException("AccessDenied"));

    private readonly InMemoryKnownAccounts _known = new();
    private readonly InMemoryBaselineResults _results = new();

    private ReconcileWorker Worker(Bridge b)
    {
        var notices = new OperationsNotices(b.Slack, O.Create(b.SlackOptions), NullLogger<OperationsNotices>.Instance);
        return new(b.Sweeps(), b.Baseline(), _known, _results, notices,
            new AccountSkips(_known, notices, O.Create(b.Reconcile), b.Telemetry, NullLogger<AccountSkips>.Instance),
            O.Create(b.Policy), b.Time);
    }

    [Fact]
    public async Task Handle_SweepOfAnAccountWithoutItsRole_RecordsASkip_WarnsOnce_AndDoesNotThrow()
    {
        var b = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = Missing } };
        using var metrics = new SgBridge.Tests.Telemetry.MetricRecorder(b.Telemetry.Meter);
        var worker = Worker(b);

        await worker.HandleAsync(new SweepRegion(TestData.Account, "eu-west-1", ReportOnly: false), default);
        await worker.HandleAsync(new SweepRegion(TestData.Account, "us-east-1", ReportOnly: false), default);
        b.Time.Advance(TimeSpan.FromMinutes(15));
        await worker.HandleAsync(new SweepRegion(TestData.Account, "eu-west-1", ReportOnly: false), default);

        var skip = (await _known.GetAsync(TestData.Account, default))!.Skip;
        Assert.NotNull(skip);
        Assert.Equal(AccountSkips.RoleNotDeployed, skip.Reason);
        Assert.Equal(["eu-west-1", "us-east-1"], skip.Regions);
        var post = Assert.Single(b.Slack.Posts);
        Assert.Equal("CMONITOR", post.Channel);
        Assert.Contains($"Account {TestData.Account} skipped", post.Text, StringComparison.Ordinal);
        Assert.Contains("role not deployed", post.Text, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Sum("sgbridge.failures", (SgBridge.Shared.Telemetry.TelemetryTags.Kind, "account_skipped")));
    }

    [Fact]
    public async Task Handle_AccountStillWithoutItsRoleTheNextDay_WarnsAgain()
    {
        var b = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = Missing } };
        var worker = Worker(b);

        await worker.HandleAsync(new SweepRegion(TestData.Account, "eu-west-1", ReportOnly: false), default);
        b.Time.Advance(TimeSpan.FromDays(1));
        await worker.HandleAsync(new SweepRegion(TestData.Account, "eu-west-1", ReportOnly: false), default);

        Assert.Equal(2, b.Slack.Posts.Count);
    }

    [Fact]
    public async Task Handle_SettleCheckWithoutTheRole_IsASkipToo()
    {
        var b = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = Missing } };

        await Worker(b).HandleAsync(new SettleGroup(TestData.Account, "eu-west-1", "sg-1", ["k"]), default);

        Assert.NotNull((await _known.GetAsync(TestData.Account, default))!.Skip);
    }

    [Fact]
    public async Task Handle_BaselineWithoutTheRole_StoresASkippedResult()
    {
        var b = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = Missing } };

        await Worker(b).HandleAsync(new BaselineRegion(TestData.Account, "eu-west-1", Force: false), default);

        var result = Assert.Single(await _results.ListAsync(default));
        Assert.Equal(AccountSkips.RoleNotDeployed, result.Skipped);
        Assert.Equal("baseline", (await _known.GetAsync(TestData.Account, default))!.Source);
    }

    [Fact]
    public async Task Handle_Baseline_StoresTheResult_KnowsTheAccount_AndTellsMonitoringTheRiskyRules()
    {
        var b = new Bridge();
        b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        b.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        await Worker(b).HandleAsync(new BaselineRegion(TestData.Account, TestData.Region, Force: false), default);

        var result = Assert.Single(await _results.ListAsync(default));
        Assert.Equal((1, 1, 2, 1, null), (result.Groups, result.Recorded, result.Rules, result.RiskyCount, result.Skipped));
        Assert.Contains("0.0.0.0/0", Assert.Single(result.RiskyRules), StringComparison.Ordinal);
        Assert.NotNull(await _known.GetAsync(TestData.Account, default));
        var post = Assert.Single(b.Slack.Posts);
        Assert.Contains("Onboarding (baseline)", post.Text, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0/0", post.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_SweepThatGetsInAgain_ClearsTheSkip()
    {
        var denied = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = Missing } };
        await Worker(denied).HandleAsync(new SweepRegion(TestData.Account, TestData.Region, ReportOnly: false), default);

        var b = new Bridge();
        await Worker(b).HandleAsync(new SweepRegion(TestData.Account, TestData.Region, ReportOnly: false), default);

        Assert.Null((await _known.GetAsync(TestData.Account, default))!.Skip);
    }

    [Fact]
    public async Task Handle_OtherFailures_StillEscape_SoTheQueueRetriesThem()
    {
        var b = new Bridge { Ec2 = new FakeSecurityGroupClient { Deny = new TimeoutException("EC2 slow") } };

        await Assert.ThrowsAsync<TimeoutException>(() => Worker(b).HandleAsync(new SweepRegion(TestData.Account, TestData.Region, ReportOnly: false), default));
        Assert.Null(await _known.GetAsync(TestData.Account, default));
    }

    [Fact]
    public async Task Handle_ReportOnlyJob_ReportsEveryDifferenceNow_AndChangesNothing()
    {
        var b = new Bridge();
        b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8"));
        await b.OnboardAsync();
        var drift = b.Ec2.AddExisting(TestData.Tcp(22, "0.0.0.0/0"));

        await Worker(b).HandleAsync(new SweepRegion(TestData.Account, TestData.Region, ReportOnly: true), default);

        Assert.Contains(drift, b.Ec2.Rules);
        Assert.Empty(b.Ec2.Writes);
        Assert.Equal(RequestStatus.Reported, Assert.Single(b.Requests.All).Status);
    }

    [Fact]
    public void RoleMissing_FindsTheRefusalInsideWrappers()
    {
        var wrapped = new Amazon.Runtime.AmazonClientException("credentials", new InvalidOperationException("x", Missing));

        Assert.Same(Missing, AccountSkips.RoleMissing(wrapped));
        Assert.Null(AccountSkips.RoleMissing(new InvalidOperationException("other")));
    }

    private sealed class InMemoryBaselineResults : IBaselineResultStore
    {
        private readonly Dictionary<string, BaselineResult> _rows = new(StringComparer.Ordinal);

        public Task RecordAsync(BaselineResult result, CancellationToken cancellationToken)
        {
            _rows[$"{result.AccountId}|{result.Region}"] = result;
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<BaselineResult>> ListAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<BaselineResult>>(_rows.Values.ToArray());
    }
}
