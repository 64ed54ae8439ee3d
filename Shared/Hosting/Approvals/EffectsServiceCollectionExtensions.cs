using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

public static class EffectsServiceCollectionExtensions
{
    /// <summary>
    /// The effects worker, its catch-up, and one <see cref="IEffectPerformer"/> per <see cref="EffectKind"/>. A new kind
    /// adds its performer here (the worker refuses a kind without one, and a test checks every kind has one).
    /// </summary>
    public static IServiceCollection AddSgBridgeEffects(this IServiceCollection services)
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
        return services;
    }
}
