using System.Text.RegularExpressions;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Infrastructure;

/// <summary>docs/capacity.md lists every timer the function app has, with its schedule as the code declares it.</summary>
public sealed partial class CapacityDocTests
{
    [GeneratedRegex(@"\[Function\(nameof\((?<name>\w+)\)\)\][\s\S]*?\[TimerTrigger\(""(?<cron>[^""]+)""\)\]")]
    private static partial Regex TimerFunction();

    [Fact]
    public void TimersTable_ListsEveryTimerFunction()
    {
        var timers = Directory.GetFiles(Path.Combine(RepoRoot.Path, "FunctionApp", "Functions"), "*.cs")
            .Select(f => TimerFunction().Match(File.ReadAllText(f)))
            .Where(m => m.Success)
            .Select(m => m.Groups["name"].Value)
            .ToList();
        var doc = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "capacity.md"));
        var section = doc[doc.IndexOf("## Every timer and what it costs", StringComparison.Ordinal)..];

        Assert.True(timers.Count >= 5, $"found only {timers.Count} timer functions: the pattern no longer matches the code");
        Assert.All(timers, t => Assert.Contains($"| `{t}`", section, StringComparison.Ordinal));
    }
}
