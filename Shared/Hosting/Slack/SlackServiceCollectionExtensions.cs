using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

public static class SlackServiceCollectionExtensions
{
    /// <summary>
    /// Registers Slack options (validated at start), the request verifier, the inbound endpoint and the
    /// typed <see cref="ISlackClient"/>. The client does its own retries; add no resilience handler on top.
    /// </summary>
    public static IServiceCollection AddSgBridgeSlack(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // BindConfiguration resolves IConfiguration from the container. Hosts register it already;
        // this makes the extension work in a bare ServiceCollection too (tests, CLI).
        services.TryAddSingleton(configuration);
        services.TryAddSingleton(TimeProvider.System);

        services.AddValidatedOptions<SlackOptions>(configuration, SlackOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>());
        services.TryAddSingleton<ApprovalRouter>();
        services.TryAddSingleton<RoutingService>();

        services.TryAddSingleton<SlackRequestVerifier>();
        services.TryAddSingleton<ModalSeal>();

        // The one inbound pipeline behind both Slack triggers: one registry of handlers, the click context read before
        // any handler (the handlers need DecisionService, which AddSgBridge registers).
        services.TryAddSingleton<SlackEndpoint>();
        services.TryAddSingleton<SlackHandlers>();
        services.TryAddSingleton<SgBridge.Shared.Approvals.ClickContexts>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, DenyHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, ApproveAllHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlockActionHandler, DenyAllHandler>());

        services.AddHttpClient<ISlackClient, SlackClient>((provider, http) =>
        {
            var baseUrl = provider.GetRequiredService<IOptions<SlackOptions>>().Value.BaseUrl;
            http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute);
        });

        return services;
    }
}
