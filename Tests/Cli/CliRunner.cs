using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Cli;

namespace SgBridge.Tests.Cli;

/// <summary>Runs `sgbridge` in-process, as Program.cs does, with the given environment variables, clock and output writers.</summary>
internal sealed class CliRunner
{
    public static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public FakeTimeProvider Time { get; } = new(Now);

    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Stdout is a terminal: fleet runs draw their progress bar on <see cref="Terminal"/>.</summary>
    public bool IsTerminal { get; init; }

    public Spectre.Console.IAnsiConsole? Terminal { get; init; }

    /// <summary>The OS user the CLI records with a decision (user@host).</summary>
    public string OsUser { get; init; } = "tester@testhost";

    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var context = new CliContext { Out = o, Error = e, Environment = Environment, Time = Time, ConfigureServices = ConfigureServices, OsUser = OsUser, IsTerminal = IsTerminal, Terminal = Terminal };
        var exit = await CliApp.RunAsync(args, context);
        return (exit, o.ToString(), e.ToString());
    }
}
