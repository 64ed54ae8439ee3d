using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared;

public static class DependencyInjection
{
    /// <summary>Everything the bridge needs, with options validated at start-up.</summary>
    public static IServiceCollection AddSgBridge(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetService<System.Diagnostics.Metrics.IMeterFactory>() is { } meters ? new BridgeTelemetry(meters) : new BridgeTelemetry());
        services.AddValidatedOptions<PolicyOptions>(configuration, PolicyOptions.SectionName);
        services.AddValidatedOptions<ProcessingOptions>(configuration, ProcessingOptions.SectionName);
        services.AddValidatedOptions<ReconcileOptions>(configuration, ReconcileOptions.SectionName);
        services.AddValidatedOptions<IntakeOptions>(configuration, IntakeOptions.SectionName);
        services.AddSgBridgeOperations(); // before storage: its approved-state store is the watched one
        services.AddSgBridgeStorage(configuration);
        services.AddSgBridgeAws(configuration);
        services.AddSgBridgeSlack(configuration);
        services.AddSgBridgeSlackRequests(configuration);

        services.AddSingleton<ChangePolicy>();
        services.AddSgBridgePolicyRules();
        services.AddSingleton<IHeartbeatStore, TableHeartbeatStore>();
        services.AddSingleton<Heartbeat>();
        services.AddSingleton<EventIntake>();
        services.AddSingleton<SgBridge.Shared.Aws.UnrecordedRevokes>();
        services.AddSingleton<ChangeProcessor>();
        services.AddSingleton<GroupReconciler>();
        services.AddSingleton<BaselineService>();
        services.AddSingleton<SweepService>();
        services.AddSingleton<PoisonService>();
        services.AddSingleton<ApplyService>();
        services.AddSingleton<ApproverDirectory>();
        services.AddSingleton<DecisionService>();
        services.AddSingleton<NotificationService>();
        services.AddSingleton<ExpiryService>();
        services.AddSgBridgeAccessExpiry(configuration);
        services.AddSgBridgeRevertReason();
        services.AddSingleton<RequestLifecycle>();
        services.AddSgBridgeEffects();
        return services;
    }
}
