using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

public static class PolicyServiceCollectionExtensions
{
    /// <summary>The policy file or blob (Policy:RulesFile), validated at start-up with the rest of <see cref="PolicyOptions"/>, and the gate that applies it.</summary>
    public static IServiceCollection AddSgBridgePolicyRules(this IServiceCollection services)
    {
        services.TryAddSingleton<PolicyRulesCache>();
        services.TryAddSingleton<IPolicyBlobReader, PolicyBlob>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PolicyOptions>, PolicyRulesValidator>());
        services.TryAddSingleton<PolicyRules>();
        services.TryAddSingleton<PolicyTagReader>();
        services.TryAddSingleton<PolicyGate>();
        return services;
    }
}
