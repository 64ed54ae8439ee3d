using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Reconcile;
using SgBridge.Tests.Slack.Requests;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Fakes;

/// <summary>
/// The tests' one in-memory composition: the bridge's own graph (<c>AddSgBridge</c>, as the app registers it) with
/// the I/O seams swapped for fakes (stores, queue, EC2, Slack, views, clock, telemetry) and the options below in
/// place of the bound ones. Tests change the options they care about, then take what they test from the graph
/// (<see cref="Get{T}"/>); each call composes afresh, so an option set before it is always seen.
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
    public FakeTimeProvider Time { get; init; } = new(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
    public PolicyOptions Policy { get; init; } = new() { AllowedAccounts = TestData.Account };
    public ReconcileOptions Reconcile { get; } = new() { SettleDelay = TimeSpan.FromSeconds(60), LeaseWait = TimeSpan.Zero };
    public ProcessingOptions Processing { get; } = new() { MaxDequeueCount = 5 };

    public BridgeTelemetry Telemetry { get; init; } = new();
    public RecordingSlackClient Slack { get; } = new();
    public SlackOptions SlackOptions { get; init; } = new() { BotToken = "xoxb-t", SigningSecret = "s", ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UA" };
    public AwsOptions Aws { get; } = new() { RoleArnPattern = BridgeRole, WebIdentityAudience = "api://x" };

    /// <summary>Slack's views.open (the reason and request modals).</summary>
    public RecordingViews Views => Slack.Views;

    /// <summary>Requests from Slack (the /sgbridge command and its modal).</summary>
    public SlackRequestOptions SlackRequests { get; } = new();

    public InMemoryKnownAccounts KnownAccounts { get; } = new();

    /// <summary>More replacements over the graph, after the fakes (e.g. a store that fails, or a service a test pins).</summary>
    public List<Action<IServiceCollection>> Replacements { get; } = [];

    /// <summary>The composed graph: AddSgBridge with this bridge's fakes and options swapped in.</summary>
    public IServiceProvider Services(Action<IServiceCollection>? also = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing reaches storage (every store is a fake); the settings only make the bound options valid.
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSgBridge(configuration);
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Time));
        services.Replace(ServiceDescriptor.Singleton(Telemetry));
        UseOptions(services, Policy);
        UseOptions(services, Reconcile);
        UseOptions(services, Processing);
        UseOptions(services, SlackOptions);
        UseOptions(services, Aws);
        UseOptions(services, Approvals);
        UseOptions(services, BlastRadius);
        UseOptions(services, SlackRequests);
        services.Replace(ServiceDescriptor.Singleton<IRequestStore>(Requests));
        services.Replace(ServiceDescriptor.Singleton<IEffectsIndex>(Requests));
        services.Replace(ServiceDescriptor.Singleton<IPendingRequestsIndex>(Requests));
        services.Replace(ServiceDescriptor.Singleton<IGroupStateStore>(Groups));
        services.Replace(ServiceDescriptor.Singleton<ISlackThreadStore>(Threads));
        services.Replace(ServiceDescriptor.Singleton<IAccessExpiryIndex>(Expiries));
        services.Replace(ServiceDescriptor.Singleton<IKnownAccountStore>(KnownAccounts));
        services.Replace(ServiceDescriptor.Singleton<IQueueSender>(Queue));
        services.Replace(ServiceDescriptor.Singleton<ISecurityGroupClientFactory>(Ec2));
        services.Replace(ServiceDescriptor.Singleton<ISlackClient>(Slack));
        foreach (var replace in Replacements)
        {
            replace(services);
        }
        also?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>One service of the composed graph.</summary>
    public T Get<T>() where T : notnull => Services().GetRequiredService<T>();

    private static void UseOptions<T>(IServiceCollection services, T value) where T : class =>
        services.Replace(ServiceDescriptor.Singleton<IOptions<T>>(O.Create(value)));

    public ChangePolicy ChangePolicy() => Get<ChangePolicy>();

    public RequestLifecycle Lifecycle() => Get<RequestLifecycle>();

    public GroupReconciler Reconciler() => Get<GroupReconciler>();

    public ChangeProcessor Processor() => Get<ChangeProcessor>();

    /// <summary>
    /// An intake that only enqueues (Intake:RevertInline off) to <paramref name="queue"/>, with this bridge's processor,
    /// heartbeat and telemetry: for tests of the answer and the queue, not of the inline revert.
    /// </summary>
    public Shared.Intake.EventIntake EnqueueOnlyIntake(ChangePolicy changePolicy, IQueueSender queue, IOptions<PolicyOptions> policy, IntakeOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RevertInline = false;
        return new Shared.Intake.EventIntake(changePolicy, queue, policy, O.Create(options), time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Shared.Intake.EventIntake>.Instance, Telemetry, Processor(), Get<Shared.Intake.Heartbeat>());
    }

    /// <summary>The policy file's gate (Policy.RulesFile; empty: no policy, every change asks).</summary>
    public PolicyGate PolicyGate() => Get<PolicyGate>();

    /// <summary>The budget of the policy's tag read and the blast radius (BlastRadius:Budget in the app).</summary>
    public BlastRadiusOptions TagRead => BlastRadius;

    /// <summary>Reads the fake group's tags for a policy rule with a groupTags condition.</summary>
    public PolicyTagReader TagReader() => Get<PolicyTagReader>();

    /// <summary>The apply worker as deployed: with the expiry index and the access notifier (time-bound approvals).</summary>
    public ApplyService Applier() => TimeBoundApplier();

    public PoisonService Poison() => Get<PoisonService>();

    public BaselineService Baseline() => Get<BaselineService>();

    public SweepService Sweeps() => Get<SweepService>();

    /// <summary>Onboards the fake group as it stands now.</summary>
    public Task<BaselineSummary> OnboardAsync() => Baseline().BaselineAsync(TestData.Account, TestData.Region, force: false, default);

    public async Task<IReadOnlyList<SecurityGroupRule>> ApprovedAsync() =>
        (await Groups.GetAsync(TestData.Account, TestData.Region, Ec2.GroupId, default))!.Value.RuleSet;

    public ChangeRequest Request(SecurityGroupChange change) => Requests.All.Single(r => r.EventId == change.EventId);
}
