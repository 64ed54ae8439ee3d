using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
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
        // The bridge's coverage: known accounts, onboarding results, the sweep and the reconcile worker, and the watched
        // approved-state store, registered before storage so its TryAdd keeps this IGroupStateStore.
        services.AddSingleton<IKnownAccountStore, TableKnownAccountStore>();
        services.AddSingleton<IBaselineResultStore, BaselineResults>();
        services.AddSingleton<OperationsNotices>();
        services.AddSingleton<AccountSkips>();
        services.AddSingleton<TableGroupStateStore>();
        services.AddSingleton<IGroupStateStore>(sp =>
            ActivatorUtilities.CreateInstance<WatchedGroupStateStore>(sp, sp.GetRequiredService<TableGroupStateStore>()));
        services.AddSingleton<SweepScheduler>();
        services.AddSingleton<ReconcileWorker>();
        services.AddSingleton<OperatorJobs>();
        services.AddSingleton<Offboarding>();
        services.AddSgBridgeStorage(configuration);
        services.AddSgBridgeAws(configuration);
        services.AddSgBridgeSlack(configuration);
        // Requests from Slack: the /sgbridge command, the shortcut and the modal (durations: ApprovalsOptions, below).
        services.AddValidatedOptions<SlackRequestOptions>(configuration, SlackRequestOptions.SectionName);
        services.TryAddSingleton<SlackRequestService>();
        services.TryAddSingleton<ISlashCommandHandler, RequestCommandHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IShortcutHandler, RequestShortcutHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IViewSubmissionHandler, RequestSubmissionHandler>());

        services.AddSingleton<ChangePolicy>();
        services.AddSgBridgePolicyRules();
        services.AddSingleton<IHeartbeatStore, TableHeartbeatStore>();
        services.AddSingleton<Heartbeat>();
        services.AddSingleton<EventIntake>();
        services.AddSingleton<UnrecordedRevokes>();
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
        // Time-bound approvals.
        services.AddValidatedOptions<ApprovalsOptions>(configuration, ApprovalsOptions.SectionName);
        services.TryAddSingleton<IAccessExpiryIndex, TableAccessExpiryIndex>();
        services.AddSingleton<AccessNotifier>();
        services.AddSingleton<AccessExpiryService>();
        services.AddSingleton<AccessDecisionService>();
        // The duration / revoke / extend buttons, and the requester's "Give a reason" after a revert.
        services.TryAddSingleton<RevertReasonService>();
        foreach (var handler in new[] { typeof(ApproveForHandler), typeof(ApproveAllForHandler), typeof(RevokeAccessHandler), typeof(ExtendAccessHandler), typeof(GiveReasonHandler) })
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IBlockActionHandler), handler));
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IViewSubmissionHandler, ReasonSubmissionHandler>());
        services.AddSingleton<RequestLifecycle>();
        AddSgBridgeEffects(services);
        return services;
    }

    /// <summary>
    /// The effects worker, its catch-up, and one <see cref="IEffectPerformer"/> per <see cref="EffectKind"/>. A new kind
    /// adds its performer here (the worker refuses a kind without one, and a test checks every kind has one).
    /// </summary>
    private static void AddSgBridgeEffects(IServiceCollection services)
    {
        services.TryAddSingleton<EffectsWorker>();
        services.TryAddSingleton<EffectsCatchUp>();
        foreach (var performer in new[] { typeof(RenderPerformer), typeof(ApplyPerformer), typeof(AskReasonPerformer), typeof(BreakGlassPerformer),
            typeof(EndAccessNowPerformer), typeof(DecisionDmPerformer), typeof(RefreshHomePerformer) })
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IEffectPerformer), performer));
        }
        services.TryAddSingleton<HomeTabService>();
        foreach (var kind in new[] { EffectKind.AccessGranted, EffectKind.AccessEndedNotice, EffectKind.AccessEndedDm })
        {
            services.AddSingleton<IEffectPerformer>(sp => new AccessNoticePerformer(sp.GetRequiredService<AccessNotifier>(), kind));
        }
    }
}
