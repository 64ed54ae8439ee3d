using System.CommandLine;
using Azure;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace SgBridge.Cli;

/// <summary>
/// Sets a verb's action and maps the failures every verb can meet to one message and one exit code
/// (<see cref="ExitCodes"/>), so a verb's own code handles only its own outcomes.
/// </summary>
public static class VerbAction
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
                    await error.WriteLineAsync("  " + failure).ConfigureAwait(false);
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
        });
    }

    private static string FirstLine(string text)
    {
        var i = text.IndexOfAny(['\r', '\n']);
        return i < 0 ? text : text[..i];
    }
}
