using System.CommandLine;
using SgBridge.Cli.Commands;

namespace SgBridge.Cli;

/// <summary>The <c>sgbridge</c> operator command: one verb per file under Commands/, registered in <see cref="Verbs"/>.</summary>
public static class CliApp
{
    /// <summary>Every verb, in the order <c>--help</c> lists them. A new verb is one file in Commands/ and one line here.</summary>
    public static IReadOnlyList<ICliVerb> Verbs { get; } =
    [
        new PlanCommand(),
        new RequestsCommand(),
        new ExportCommand(),
        new AccessCommand(),
        new GroupsCommand(),
        new DoctorCommand(),
        new BaselineCommand(),
        new ReconcileCommand(),
        new AccountsCommand(),
        new OffboardCommand(),
        new RedriveCommand(),
        new PolicyCommand(),
        new DemoCommand(),
        new CompletionCommand(),
    ];

    /// <summary>The names of the registered verbs, as <c>--help</c> lists them.</summary>
    public static IReadOnlyList<string> VerbNames =>
        CreateRootCommand(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null }).Subcommands.Select(c => c.Name).ToArray();

    private const string Description = """
        SgBridge operator tool: dry-run events, browse and export change requests, onboard and sweep accounts, check a deployment.
        Errors are one line with the fix (--verbose: the exception); exit codes and the --json schema (sgbridge/v1): docs/cli.md.

        Examples:
          sgbridge plan samples/authorize-ssh-from-internet.json
          sgbridge requests list --status Pending --since 7d --settings FunctionApp/local.settings.json
          sgbridge doctor --settings FunctionApp/local.settings.json
          sgbridge baseline --settings FunctionApp/local.settings.json
          sgbridge reconcile --dry-run --settings FunctionApp/local.settings.json
          sgbridge redrive --dry-run --settings FunctionApp/local.settings.json
          sgbridge policy validate --rules samples/policy.yaml --account-aliases 111111111111=dev
          sgbridge policy test samples/authorize-ssh-from-internet.json --rules samples/policy.yaml --account-aliases 111111111111=dev
        """;

    /// <summary>The root command with every verb, for the given context.</summary>
    public static Command CreateRootCommand(CliContext context)
    {
        var root = new RootCommand(Description);
        root.Options.Add(VerbAction.Verbose);
        DetailedHelpAction.Install(root);
        foreach (var verb in Verbs)
        {
            root.Subcommands.Add(verb.Create(context));
        }
        return root;
    }

    public static Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parseResult = CreateRootCommand(context).Parse(args);
        return parseResult.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error }, cancellationToken);
    }
}
