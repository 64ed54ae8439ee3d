using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

public static class RevertReasonServiceCollectionExtensions
{
    /// <summary>The requester's reason after a revert: the service (DM, modal, submission) and the "Give a reason" button.</summary>
    public static IServiceCollection AddSgBridgeRevertReason(this IServiceCollection services)
    {
        services.TryAddSingleton<RevertReasonService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, GiveReasonHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IViewSubmissionHandler, ReasonSubmissionHandler>());
        return services;
    }
}
