using System.Collections;
using Microsoft.Extensions.DependencyInjection;

namespace SgBridge.Cli;

/// <summary>
/// What a verb may touch outside its arguments: where to write, the environment variables it reads settings from,
/// the clock, and (for tests) a hook that replaces an I/O seam in the service graph after the app's own registrations.
/// </summary>
public sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Environment variables, read as the Functions host reads app settings (<c>Section__Name</c>).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Runs after <c>AddSgBridge</c>: tests swap the Entra token source here (there is no Entra ID in a test).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>The real process: console and environment variables.</summary>
    public static CliContext FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        Environment = System.Environment.GetEnvironmentVariables()
            .Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
    };
}
