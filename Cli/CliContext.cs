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

    /// <summary>Who runs the command on this machine (<c>user@host</c>): recorded with a decision made from the CLI.</summary>
    public string OsUser { get; init; } = $"{System.Environment.UserName}@{System.Environment.MachineName}";

    /// <summary>Runs after <c>AddSgBridge</c>: tests swap the Entra token source here (there is no Entra ID in a test).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>
    /// True when stdout is a terminal (a person watching, not a pipe or a file): fleet runs then draw a progress bar
    /// (Spectre.Console) on <see cref="Terminal"/> instead of one progress line per pair; never with <c>--json</c>.
    /// </summary>
    public bool IsTerminal { get; init; }

    /// <summary>Where the progress bar is drawn when <see cref="IsTerminal"/> (the process: stderr, so stdout stays the result).</summary>
    public Spectre.Console.IAnsiConsole? Terminal { get; init; }

    /// <summary>The real process: console and environment variables.</summary>
    public static CliContext FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        IsTerminal = !Console.IsOutputRedirected && !Console.IsErrorRedirected,
        Environment = System.Environment.GetEnvironmentVariables()
            .Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
    };
}
