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

    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var context = new CliContext { Out = o, Error = e, Environment = Environment, Time = Time, ConfigureServices = ConfigureServices };
        var exit = await CliApp.RunAsync(args, context);
        return (exit, o.ToString(), e.ToString());
    }
}
