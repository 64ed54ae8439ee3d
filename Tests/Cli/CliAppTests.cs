using System.CommandLine;
using SgBridge.Cli;

namespace SgBridge.Tests.Cli;

/// <summary>What every verb owes the operator, whoever adds it: help with an example, and the shared exit codes.</summary>
public sealed class CliAppTests
{
    private static IEnumerable<string[]> CommandPaths(Command command, string[] path)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] subPath = [.. path, sub.Name];
            yield return subPath;
            foreach (var deeper in CommandPaths(sub, subPath))
            {
                yield return deeper;
            }
        }
    }

    private static IEnumerable<string> CommandNames() =>
        CommandPaths(CliApp.CreateRootCommand(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null }), []).Select(p => string.Join(' ', p));

    public static TheoryData<string> Commands() => new(CommandNames());

    [Fact]
    public void Commands_AreTheRegisteredVerbsAndTheirSubcommands() =>
        Assert.Equal(["plan", "requests", "requests list", "requests show", "requests approve", "requests deny", "export", "access", "access list", "groups", "groups show", "groups diff",
            "doctor", "baseline", "reconcile", "accounts", "offboard", "redrive", "policy", "policy test", "policy validate", "demo", "completion"], CommandNames());

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_EveryCommand_ShowsAnExampleOfItself(string command)
    {
        var o = new StringWriter();
        var exit = CliRun.Sync([.. command.Split(' '), "--help"], o, new StringWriter());

        Assert.Equal(0, exit);
        var help = o.ToString();
        Assert.Contains("Examples:", help, StringComparison.Ordinal);
        var verb = command.Split(' ')[0];
        Assert.Contains($"    sgbridge {verb} ", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_Root_ListsEveryVerbWithItsSummary()
    {
        var o = new StringWriter();
        Assert.Equal(0, CliRun.Sync(["--help"], o, new StringWriter()));
        foreach (var verb in CliApp.Verbs)
        {
            var command = verb.Create(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null });
            Assert.Contains(command.Description!, o.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void UnknownOption_OnEveryCommand_ExitsOne(string command)
    {
        var e = new StringWriter();
        var exit = CliRun.Sync([.. command.Split(' '), "--no-such-option"], new StringWriter(), e);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--no-such-option", e.ToString(), StringComparison.Ordinal);
    }
}
