using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Telemetry;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Fakes;

/// <summary>
/// The one set-up of the processing services over fakes (stores, queue, EC2, clock): tests change the options they care
/// about and build what they test from it, instead of wiring constructors by hand.
/// </summary>
public sealed partial class Bridge
{
    public const string BridgeRole = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";

    public InMemoryRequestStore Requests { get; } = new();
    public InMemoryGroupStateStore Groups { get; } = new();
    public RecordingQueue Queue { get; } = new();
    /// <summary>What Slack will be shown: the writes that raised a request's render.</summary>
    public RecordingNotifier Notifier => new(Requests);
    public FakeSecurityGroupClient Ec2 { get; init; } = new();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
    public PolicyOptions Policy { get; } = new() { AllowedAccounts = TestData.Account };
    public ReconcileOptions Reconcile { get; } = new() { SettleDelay = TimeSpan.FromSeconds(60), LeaseWait = TimeSpan.Zero };
    public ProcessingOptions Processing { get; } = new() { MaxDequeueCount = 5 };

    public BridgeTelemetry Telemetry { get; } = new();
    public RecordingSlackClient Slack { get; } = new();
    public SlackOptions SlackOptions { get; } = new() { BotToken = "xoxb-t", SigningSecret = "s", ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UA" };

    public ChangePolicy ChangePolicy() => new(O.Create(Policy), O.Create(new AwsOptions { RoleArnPattern = BridgeRole, WebIdentityAudience = "api://x" }));

    public RequestLifecycle Lifecycle() => new(Requests, Queue, Telemetry, NullLogger<RequestLifecycle>.Instance);

    public GroupReconciler Reconciler() => new(Groups, Queue, O.Create(Reconcile), O.Create(Policy), Time, NullLogger<GroupReconciler>.Instance, Telemetry);

    public ChangeProcessor Processor() =>
        new(ChangePolicy(), Lifecycle(), Reconciler(), Ec2, O.Create(Processing), Time, NullLogger<ChangeProcessor>.Instance, Telemetry, Queue, PolicyGate());

    /// <summary>The policy file's gate (Policy.RulesFile; empty: no policy, every change asks).</summary>
    public SgBridge.Shared.Policy.PolicyGate PolicyGate() =>
        new(new SgBridge.Shared.Policy.PolicyRules(O.Create(Policy)), Lifecycle(), Time, NullLogger<SgBridge.Shared.Policy.PolicyGate>.Instance, TagReader());

    /// <summary>The budget of the policy's tag read (BlastRadius:Budget in the app).</summary>
    public SgBridge.Shared.Aws.BlastRadiusOptions TagRead { get; } = new();

    /// <summary>Reads the fake group's tags for a policy rule with a groupTags condition.</summary>
    public PolicyTagReader TagReader() => new(Ec2, O.Create(TagRead), NullLogger<PolicyTagReader>.Instance, Telemetry);

    /// <summary>The apply worker as deployed: with the expiry index and the access notifier (time-bound approvals).</summary>
    public ApplyService Applier() => TimeBoundApplier();

    public PoisonService Poison() =>
        new(Lifecycle(), Slack, O.Create(SlackOptions), O.Create(Processing), Time, NullLogger<PoisonService>.Instance, Telemetry, Queue);

    public BaselineService Baseline() => new(Groups, Ec2, O.Create(Policy), Time, NullLogger<BaselineService>.Instance);

    public SweepService Sweeps() => new(Reconciler(), Baseline(), Groups, Ec2, Lifecycle(), Queue, O.Create(Reconcile), O.Create(Policy), Time, NullLogger<SweepService>.Instance, Telemetry);

    /// <summary>Onboards the fake group as it stands now.</summary>
    public Task<BaselineSummary> OnboardAsync() => Baseline().BaselineAsync(TestData.Account, TestData.Region, force: false, default);

    public async Task<IReadOnlyList<SecurityGroupRule>> ApprovedAsync() =>
        (await Groups.GetAsync(TestData.Account, TestData.Region, Ec2.GroupId, default))!.Value.RuleSet;

    public ChangeRequest Request(SecurityGroupChange change) => Requests.All.Single(r => r.EventId == change.EventId);
}
