using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack.Requests;

public static class SlackRequestsServiceCollectionExtensions
{
    /// <summary>
    /// Requests from Slack: the /sgbridge command, the shortcut and the modal (after AddSgBridgeSlack). The durations
    /// offered are <see cref="ApprovalsOptions"/>' (registered and validated once, by AddSgBridgeAccessExpiry).
    /// </summary>
    public static IServiceCollection AddSgBridgeSlackRequests(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SlackRequestOptions>(configuration, SlackRequestOptions.SectionName);
        services.TryAddSingleton<SlackRequestService>();
        services.TryAddSingleton<ISlashCommandHandler, RequestCommandHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IShortcutHandler, RequestShortcutHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IViewSubmissionHandler, RequestSubmissionHandler>());
        return services;
    }
}
