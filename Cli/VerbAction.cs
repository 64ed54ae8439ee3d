using System.CommandLine;
using System.Text.RegularExpressions;

namespace SgBridge.Cli;

/// <summary>
/// Sets a verb's action and maps every failure it can meet (<see cref="CliErrors"/>) to ONE line on stderr naming what
/// failed and the fix, with the documented exit code (<see cref="ExitCodes"/>); with <c>--json</c> the same error is
/// also printed on stdout in the <c>sgbridge/v1</c> schema (<see cref="CliJson"/>); <c>--verbose</c> adds the exception.
/// </summary>
public static partial class VerbAction
{
    /// <summary>The root's recursive <c>--verbose</c>: failures also print the exception with its stack.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On a failure, also print the exception (with its stack trace) after the one-line error.",
        Recursive = true,
    };

    public static void Set(Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await context.Error.WriteLineAsync($"sgbridge {CliJson.VerbPath(parseResult)}: cancelled.").ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
            catch (Exception ex)
            {
                // Not System.CommandLine's handler: it would print the stack and exit 1, which means "bad arguments" here.
                return await ReportAsync(parseResult, context, ex).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Prints the one-line error (and, with --json, the error document; with --verbose, the exception); returns its exit code.</summary>
    public static async Task<int> ReportAsync(ParseResult parseResult, CliContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(context);
        var error = CliErrors.Map(exception);
        var verb = CliJson.VerbPath(parseResult);
        await context.Error.WriteLineAsync(error.Line(verb)).ConfigureAwait(false);
        if (error.Kind == "usage")
        {
            await context.Error.WriteLineAsync($"See: sgbridge {verb} --help").ConfigureAwait(false);
        }
        if (CliJson.Requested(parseResult))
        {
            await context.Out.WriteLineAsync(CliJson.Error(verb, error)).ConfigureAwait(false);
        }
        if (parseResult.GetValue(Verbose))
        {
            await context.Error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
        }
        return error.Exit;
    }

    /// <summary>DataAnnotations wraps the message: "DataAnnotation validation failed for 'X' members: 'Y' with the error: 'Z'." → Z.</summary>
    public static string CleanFailure(string failure) =>
        AnnotationWrapper().Match(failure) is { Success: true } m ? m.Groups["message"].Value : failure;

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<message>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex AnnotationWrapper();
}
