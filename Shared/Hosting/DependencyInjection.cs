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
        // Requests from Slack: the /sgbridge command, the shortcut and the modal. The durations offered are ApprovalsOptions'
        // (registered and validated once, below).
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
        // Time-bound approvals: ApprovalsOptions (validated at start-up), the expiry index, the expiry service, the access
        // notices and the duration / revoke / extend buttons.
        services.AddValidatedOptions<ApprovalsOptions>(configuration, ApprovalsOptions.SectionName);
        services.TryAddSingleton<IAccessExpiryIndex, TableAccessExpiryIndex>();
        services.AddSingleton<AccessNotifier>();
        services.AddSingleton<AccessExpiryService>();
        services.AddSingleton<AccessDecisionService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveForHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveAllForHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, RevokeAccessHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ExtendAccessHandler>());
        // The requester's reason after a revert: the service (DM, modal, submission) and the "Give a reason" button.
        services.TryAddSingleton<RevertReasonService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, GiveReasonHandler>());
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
        // The index lives with the request rows: it is the request store's (whichever is registered).
        services.TryAddSingleton(sp => sp.GetRequiredService<IRequestStore>() as IEffectsIndex
            ?? throw new InvalidOperationException("The registered request store keeps no effects index."));
        services.TryAddSingleton(sp => sp.GetRequiredService<IRequestStore>() as IPendingRequestsIndex
            ?? throw new InvalidOperationException("The registered request store keeps no pending index."));
        services.TryAddSingleton<EffectsWorker>();
        services.TryAddSingleton<EffectsCatchUp>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, RenderPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, ApplyPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, AskReasonPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, BreakGlassPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, EndAccessNowPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, DecisionDmPerformer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEffectPerformer, RefreshHomePerformer>());
        services.TryAddSingleton<HomeTabService>();
        foreach (var kind in new[] { EffectKind.AccessGranted, EffectKind.AccessEndedNotice, EffectKind.AccessEndedDm })
        {
            services.AddSingleton<IEffectPerformer>(sp => new AccessNoticePerformer(sp.GetRequiredService<AccessNotifier>(), kind));
        }
    }
}
