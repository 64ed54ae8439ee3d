using System.CommandLine;
using Azure;
using Azure.Identity;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SgBridge.Cli;

/// <summary>
/// Sets a verb's action and maps the failures every verb can meet to one message and one exit code
/// (<see cref="ExitCodes"/>), so a verb's own code handles only its own outcomes.
/// </summary>
public static partial class VerbAction
{
    public static void Set(Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = context.Error;
            try
            {
                return await action(parseResult, cancellationToken).ConfigureAwait(false);
            }
            catch (CliUsageException ex)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                await error.WriteLineAsync($"See: sgbridge {command.Name} --help").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (OptionsValidationException ex)
            {
                await error.WriteLineAsync("The settings are not valid:").ConfigureAwait(false);
                foreach (var failure in ex.Failures)
                {
                    await error.WriteLineAsync("  " + CleanFailure(failure)).ConfigureAwait(false);
                }
                await error.WriteLineAsync("Give them as environment variables (Section__Name) or with --settings local.settings.json; " +
                                           "`sgbridge doctor` checks every setting.").ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
            catch (RequestFailedException ex)
            {
                await error.WriteLineAsync($"Azure Storage answered {ex.Status} {ex.ErrorCode}: {FirstLine(ex.Message)}").ConfigureAwait(false);
                await error.WriteLineAsync("`sgbridge doctor` checks storage access.").ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
            catch (AuthenticationFailedException ex)
            {
                await error.WriteLineAsync($"No Azure credential: {FirstLine(ex.Message)}").ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException)
            {
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not System.CommandLine's handler: it would exit 1, which means "bad arguments" here.
                await error.WriteLineAsync($"sgbridge {command.Name} failed unexpectedly: {ex}").ConfigureAwait(false);
                return ExitCodes.CannotRun;
            }
        });
    }

    /// <summary>DataAnnotations wraps the message: "DataAnnotation validation failed for 'X' members: 'Y' with the error: 'Z'." → Z.</summary>
    public static string CleanFailure(string failure) =>
        AnnotationWrapper().Match(failure) is { Success: true } m ? m.Groups["message"].Value : failure;

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<message>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex AnnotationWrapper();

    private static string FirstLine(string text)
    {
        var i = text.IndexOfAny(['\r', '\n']);
        return i < 0 ? text : text[..i];
    }
}
