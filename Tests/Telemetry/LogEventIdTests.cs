using System.Reflection;
using Microsoft.Extensions.Logging;

namespace SgBridge.Tests.Telemetry;

/// <summary>Every log message the bridge defines has its own event id, so a query by id finds one kind of entry.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void LoggerMessages_HaveUniqueEventIds()
    {
        var assemblies = new[] { typeof(SgBridge.Shared.Processing.ChangeProcessor).Assembly, typeof(SgBridge.FunctionApp.Functions.RevertChange).Assembly };
        var messages = assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 100, $"found only {messages.Count} log messages: the scan is not reading the bridge's assemblies");
        var shared = messages
            .GroupBy(x => x.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method.DeclaringType!.Name + "." + x.Method.Name))}")
            .ToList();
        Assert.True(shared.Count == 0, "event ids used by more than one log message:\n" + string.Join("\n", shared));
    }
}
