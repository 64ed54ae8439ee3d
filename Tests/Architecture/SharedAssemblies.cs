using System.Reflection;

namespace SgBridge.Tests.Architecture;

/// <summary>The assemblies of the projects under Shared/ (Core, Features, the adapters, Hosting), for tests that look at every type.</summary>
public static class SharedAssemblies
{
    public static IReadOnlyList<string> Names { get; } = ["Core", "Features", "Azure", "Aws", "SlackApi", "Hosting"];

    public static IReadOnlyList<Assembly> All { get; } = [.. Names.Select(n => Assembly.Load(new AssemblyName("SgBridge.Shared." + n)))];

    public static IEnumerable<Type> Types() => All.SelectMany(a => a.GetTypes());
}
