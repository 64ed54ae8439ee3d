using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

public static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// The bridge's coverage: known accounts, onboarding results, the sweep and the reconcile worker, and the watched
    /// approved-state store. Call before <c>AddSgBridgeStorage</c>, whose TryAdd then keeps this <see cref="IGroupStateStore"/>.
    /// </summary>
    public static IServiceCollection AddSgBridgeOperations(this IServiceCollection services)
    {
        services.AddSingleton<IKnownAccountStore, TableKnownAccountStore>();
        services.AddSingleton<IBaselineResultStore, BaselineResults>();
        services.AddSingleton<OperationsNotices>();
        services.AddSingleton<AccountSkips>();
        services.AddSingleton<TableGroupStateStore>();
        services.AddSingleton<IGroupStateStore>(sp => ActivatorUtilities.CreateInstance<WatchedGroupStateStore>(sp, sp.GetRequiredService<TableGroupStateStore>()));
        services.AddSingleton<SweepScheduler>();
        services.AddSingleton<ReconcileWorker>();
        services.AddSingleton<OperatorJobs>();
        services.AddSingleton<Offboarding>();
        return services;
    }
}
