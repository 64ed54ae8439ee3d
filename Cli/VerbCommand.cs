using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SgBridge.Cli;

/// <summary>
/// A command with a one-line summary (shown in its parent's list of commands) and details with examples, shown
/// after the usual sections by its own <c>--help</c> (see <see cref="DetailedHelpAction"/>).
/// </summary>
public class VerbCommand(string name, string summary, string details) : Command(name, summary)
{
    public string Details { get; } = details;
}

/// <summary>The standard help, then the command's details and examples when it is a <see cref="VerbCommand"/>.</summary>
internal sealed class DetailedHelpAction(HelpAction standard) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var exit = standard.Invoke(parseResult);
        if (parseResult.CommandResult.Command is VerbCommand verb)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Details:");
            foreach (var line in verb.Details.Split('\n'))
            {
                output.WriteLine(("  " + line.TrimEnd('\r')).TrimEnd());
            }
            output.WriteLine();
        }
        return exit;
    }

    /// <summary>Puts this action on the root's (recursive) help option, so every command's --help uses it.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard)
        {
            help.Action = new DetailedHelpAction(standard);
        }
    }
}
