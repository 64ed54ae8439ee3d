using System.CommandLine;

namespace SgBridge.Cli;

/// <summary>
/// One top-level verb of <c>sgbridge</c>, in its own file under Commands/. A verb builds its System.CommandLine
/// command (description with an example, options, action) and is listed once in <see cref="CliApp.Verbs"/>.
/// Verbs that need the app's services take a <see cref="CliSettings"/> (<c>--settings</c> plus environment variables).
/// </summary>
public interface ICliVerb
{
    Command Create(CliContext context);
}
