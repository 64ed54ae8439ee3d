using System.Reflection;
using Xunit;

namespace SgBridge.Tests.Architecture;

/// <summary>
/// Dependencies are required: a service in Shared takes no constructor parameter of a service type with a null
/// default. A feature that is off is configured off (an options flag the service reads, or a null object registered in
/// AddSgBridge), never an absent argument that silently switches behaviour off.
/// </summary>
public sealed class DependencyTests
{
    [Fact]
    public void SharedServices_HaveNoOptionalConstructorDependency()
    {
        var found = SharedAssemblies.Types()
            .Where(t => t.IsClass && !IsRecord(t) && !typeof(Exception).IsAssignableFrom(t) && !IsCompilerGenerated(t))
            .SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                .SelectMany(c => c.GetParameters())
                .Where(IsOptionalDependency)
                .Select(p => (Type: t.FullName!, Parameter: $"{p.ParameterType.Name} {p.Name} = null")))
            .Distinct()
            .ToList();
        var optional = found.Select(f => $"{f.Type}({f.Parameter})").ToList();

        Assert.True(optional.Count == 0, "Optional constructor dependencies: " + string.Join("; ", optional));
    }

    [Fact]
    public void TheCheck_FindsAnOptionalDependency_AndIgnoresValues()
    {
        var parameters = typeof(Sample).GetConstructors().Single().GetParameters();

        Assert.Equal(["clock"], parameters.Where(IsOptionalDependency).Select(p => p.Name));
    }

    /// <summary>A parameter of a class or interface type (not a string, a delegate or a value) defaulting to null.</summary>
    private static bool IsOptionalDependency(ParameterInfo p) =>
        p.HasDefaultValue && p.DefaultValue is null
        && (p.ParameterType.IsInterface || p.ParameterType.IsClass)
        && p.ParameterType != typeof(string)
        && !typeof(Delegate).IsAssignableFrom(p.ParameterType);

    private static bool IsRecord(Type t) => t.GetMethod("<Clone>$") is not null;

    private static bool IsCompilerGenerated(Type t) =>
        t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false) || t.Name.Contains('<', StringComparison.Ordinal);

    private sealed class Sample(string name, TimeProvider? clock = null, string? note = null, int count = 0)
    {
        public override string ToString() => $"{name} {clock} {note} {count}";
    }
}
