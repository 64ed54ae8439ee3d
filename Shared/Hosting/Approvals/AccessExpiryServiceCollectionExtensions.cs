using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

public static class AccessExpiryServiceCollectionExtensions
{
    /// <summary>
    /// Time-bound approvals: <see cref="ApprovalsOptions"/> (section "Approvals", validated at start-up), the expiry
    /// index, the expiry service, the access notices and the duration / revoke / extend buttons.
    /// </summary>
    public static IServiceCollection AddSgBridgeAccessExpiry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ApprovalsOptions>(configuration, ApprovalsOptions.SectionName);
        services.TryAddSingleton<IAccessExpiryIndex, TableAccessExpiryIndex>();
        services.AddSingleton<AccessNotifier>();
        services.AddSingleton<AccessExpiryService>();
        services.AddSingleton<AccessDecisionService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveForHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveAllForHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, RevokeAccessHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ExtendAccessHandler>());
        return services;
    }
}
