using Microsoft.Extensions.DependencyInjection;

namespace SgBridge.Tests.Fakes;

/// <summary>Wraps what AddSgBridge registered for a seam (a fault in front of the real thing), whatever way it was registered.</summary>
public static class ServiceDecoration
{
    public static IServiceCollection Decorate<T>(this IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(T))
            ?? throw new InvalidOperationException($"Nothing is registered for {typeof(T).Name} to decorate.");
        if (registered.Lifetime != ServiceLifetime.Singleton || registered.IsKeyedService)
        {
            throw new InvalidOperationException($"{typeof(T).Name} is registered {registered.Lifetime}; only singletons are decorated here.");
        }
        Func<IServiceProvider, T> inner = registered switch
        {
            { ImplementationInstance: T instance } => _ => instance,
            { ImplementationFactory: { } factory } => sp => (T)factory(sp),
            { ImplementationType: { } type } => sp => (T)ActivatorUtilities.CreateInstance(sp, type),
            _ => throw new InvalidOperationException($"{typeof(T).Name}'s registration cannot be decorated."),
        };
        services.Remove(registered);
        services.AddSingleton(sp => wrap(inner(sp)));
        return services;
    }
}
