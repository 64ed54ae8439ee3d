using SgBridge.Cli;

namespace SgBridge.Tests.Cli;

/// <summary>
/// Runs the CLI with no environment variables (verbs that read no settings, such as <c>plan</c>) for a test that is not
/// async. The run starts on the thread pool: blocking an xunit thread on work that resumes on xunit's own
/// synchronization context (two threads on a 2-core machine) deadlocks as soon as two such tests run side by side.
/// </summary>
public static class CliRun
{
    public static int Sync(string[] args, TextWriter stdout, TextWriter stderr) =>
        Task.Run(() => CliApp.RunAsync(args, new CliContext { Out = stdout, Error = stderr })).GetAwaiter().GetResult();
}
