using System.Net.Sockets;
using System.Text.Json;
using Amazon.Runtime;
using Azure;
using Azure.Identity;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Slack;

namespace SgBridge.Cli;

/// <summary>What failed, as the operator reads it: the area, one sentence naming what failed, the fix, and the exit code.</summary>
public sealed record CliError(string Kind, string Message, string? Fix, int Exit)
{
    /// <summary>The one line printed on stderr: "sgbridge VERB: MESSAGE Fix: FIX".</summary>
    public string Line(string verb) => $"sgbridge {verb}: {Message}" + (Fix is null ? "" : $" Fix: {Fix}");
}

/// <summary>
/// A failure a verb recognised itself (a malformed input file, a table that does not exist, …): carries its
/// <see cref="CliError"/> to <see cref="VerbAction"/>, which prints it as one line.
/// </summary>
public sealed class CliFailureException(CliError error, Exception? inner = null) : Exception(error.Message, inner)
{
    public CliError Error { get; } = error;

    public static CliFailureException Input(string message, string fix, Exception? inner = null) => new(new CliError("input", message, fix, ExitCodes.Usage), inner);

    public static CliFailureException Settings(string message, string fix, Exception? inner = null) => new(new CliError("settings", message, fix, ExitCodes.CannotRun), inner);

    public static CliFailureException Storage(string message, string fix, Exception? inner = null) => new(new CliError("storage", message, fix, ExitCodes.CannotRun), inner);
}

/// <summary>
/// Maps every failure a verb can meet (storage, AWS, Slack, JSON, settings, connection strings, time bounds) to a
/// <see cref="CliError"/>: one line naming what failed and the fix, and the documented exit code (docs/cli.md).
/// </summary>
public static class CliErrors
{
    public const string DoctorHint = "`sgbridge doctor` checks every setting and connection.";

    public static CliError Map(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case CliFailureException f:
                return f.Error;
            case CliUsageException u:
                return new CliError("usage", u.Message, null, ExitCodes.Usage);
            case OptionsValidationException o:
                return new CliError("settings", "the settings are not valid: " + string.Join("; ", o.Failures.Select(VerbAction.CleanFailure)) + ".",
                    "give them as environment variables (Section__Name) or with --settings local.settings.json; " + DoctorHint, ExitCodes.CannotRun);
            case AggregateException { InnerExceptions.Count: > 0 } a when a.InnerExceptions.All(e => e is OptionsValidationException):
                return Map(new OptionsValidationException("settings", typeof(object), a.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)));
            case AggregateException { InnerExceptions.Count: > 0 } a:
                // The Azure SDK's retry policy wraps each try's failure: the last one says it, with the number of tries.
                var last = Map(a.InnerExceptions[^1]);
                return a.InnerExceptions.Count == 1 ? last : last with { Message = $"{last.Message.TrimEnd('.')} ({a.InnerExceptions.Count} tries)." };
            case RequestFailedException { Status: 0 } r:
                return Storage($"Azure Storage cannot be reached: {FirstLine(r.InnerException?.Message ?? r.Message)}",
                    "check Storage__ConnectionString / Storage__AccountName and the network path to the account (firewall, private endpoint). " + DoctorHint);
            case RequestFailedException { Status: 403 } r:
                return Storage($"Azure Storage refused access (403 {r.ErrorCode}).",
                    "with a connection string: copy the account's current key; with an identity: grant it 'Storage Table Data Contributor' and 'Storage Queue Data Contributor'.");
            case RequestFailedException { Status: 404 } r:
                return Storage($"Azure Storage has no such table or queue (404 {r.ErrorCode}).",
                    "check Storage__RequestsTable / Storage__GroupsTable against the deployment; " + DoctorHint);
            case RequestFailedException r:
                return Storage($"Azure Storage answered {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}", DoctorHint);
            case AuthenticationFailedException or CredentialUnavailableException:
                return new CliError("azure-credential", $"no Azure credential: {FirstLine(exception.Message)}",
                    "run `az login` (or where the managed identity is), or give Storage__ConnectionString.", ExitCodes.CannotRun);
            case RoleNotAssumableException role:
                return new CliError("aws-role", $"the role {role.RoleArn} cannot be assumed in account {role.AccountId}.",
                    "deploy aws-bootstrap/sgbridge-member-role.yaml in that account (StackSet) and check its trust policy admits the bridge.", ExitCodes.CannotRun);
            case AmazonServiceException s:
                return Aws(s);
            case AwsServiceException { InnerException: AmazonServiceException s }:
                return Aws(s);
            case AmazonClientException c:
                return new CliError("aws", $"AWS call failed: {FirstLine(c.Message)}",
                    "check the AWS credentials the CLI runs with (Aws__AuthMode; AWS_PROFILE or `aws configure` for AssumeRole) and Aws__StsEndpoint / Aws__Ec2Endpoint.", ExitCodes.CannotRun);
            case SlackRateLimitedException:
                return new CliError("slack", "Slack rate-limited the call.", "wait a minute and run it again.", ExitCodes.CannotRun);
            case SlackApiException s:
                return new CliError("slack", $"Slack refused {s.Method}: {s.Error}.", SlackFix(s.Error), ExitCodes.CannotRun);
            case JsonException j:
                return new CliError("input", $"malformed JSON: {FirstLine(j.Message)}", "fix the file named in the command line (it must be valid JSON of the documented shape).", ExitCodes.Usage);
            case TimeoutException t:
                return new CliError("timeout", FirstLine(t.Message), "check the network path to the service named, then run it again.", ExitCodes.CannotRun);
            case HttpRequestException h:
                return new CliError("network", $"cannot reach {h.HttpRequestError switch { HttpRequestError.NameResolutionError => "the host (name not resolved)", _ => "the service" }}: {FirstLine(h.Message)}",
                    "check the endpoint settings (Storage__*, Aws__*Endpoint, Slack__BaseUrl) and the network path. " + DoctorHint, ExitCodes.CannotRun);
            case SocketException s:
                return new CliError("network", $"network error: {s.Message}", "check the network path. " + DoctorHint, ExitCodes.CannotRun);
            case InvalidDataException d:
                return new CliError("data", $"a stored row cannot be read: {FirstLine(d.Message)}",
                    "the row was not written by this version of the bridge: inspect it in the table (Azure Storage Explorer), then fix or delete it.", ExitCodes.CannotRun);
            case IOException or UnauthorizedAccessException:
                return new CliError("io", FirstLine(exception.Message), "check the path and its permissions.", ExitCodes.CannotRun);
            default:
                return new CliError("internal", $"failed unexpectedly: {exception.GetType().Name}: {FirstLine(exception.Message)}",
                    "run again with --verbose and report the output.", ExitCodes.CannotRun);
        }
    }

    private static CliError Storage(string message, string fix) => new("storage", message, fix, ExitCodes.CannotRun);

    private static CliError Aws(AmazonServiceException s) => s.ErrorCode switch
    {
        "AccessDenied" when s.Message.Contains("AssumeRole", StringComparison.OrdinalIgnoreCase) || s is Amazon.SecurityToken.AmazonSecurityTokenServiceException =>
            new CliError("aws-role", $"STS refused the role: {FirstLine(s.Message)}",
                "deploy aws-bootstrap/sgbridge-member-role.yaml in the account and check its trust policy admits the bridge.", ExitCodes.CannotRun),
        "InvalidClientTokenId" or "UnrecognizedClientException" or "SignatureDoesNotMatch" or "ExpiredToken" or "AuthFailure" or "InvalidIdentityToken" =>
            new CliError("aws-credential", $"AWS does not accept the credentials ({s.ErrorCode}): {FirstLine(s.Message)}",
                "refresh the AWS credentials the CLI runs with (AWS_PROFILE, `aws sso login`) or, with Aws__AuthMode=WebIdentity, `az login`; " + DoctorHint, ExitCodes.CannotRun),
        "UnauthorizedOperation" or "AccessDenied" or "AccessDeniedException" =>
            new CliError("aws-permission", $"AWS denied the call ({s.ErrorCode}): {FirstLine(s.Message)}",
                "redeploy aws-bootstrap/sgbridge-member-role.yaml (it grants the EC2 calls the bridge makes).", ExitCodes.CannotRun),
        "OptInRequired" =>
            new CliError("aws-region", $"the region is not enabled for the account: {FirstLine(s.Message)}", "enable the region, or leave it out of --region.", ExitCodes.CannotRun),
        _ => new CliError("aws", $"AWS answered {(int)s.StatusCode} {s.ErrorCode}: {FirstLine(s.Message)}", DoctorHint, ExitCodes.CannotRun),
    };

    private static string SlackFix(string error) => error switch
    {
        "invalid_auth" or "not_authed" or "token_revoked" or "account_inactive" =>
            "Slack__BotToken must be the installed app's Bot User OAuth Token (xoxb-…); docs/slack.md.",
        "channel_not_found" or "not_in_channel" => "invite the app to Slack__ApproversChannel and Slack__MonitoringChannel (channel ids, C…).",
        "missing_scope" => "add the scope Slack names to the app and reinstall it (docs/slack-app-manifest.yaml).",
        _ => DoctorHint,
    };

    /// <summary>True for a line a person should never see: a .NET stack frame.</summary>
    public static bool LooksLikeStackFrame(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*at [\w.`<>\[\]+,]+\(.*\)( in .+:line \d+)?\s*$")
        || line.Contains("--- End of inner exception stack trace ---", StringComparison.Ordinal)
        || line.Contains("--- End of stack trace from previous location ---", StringComparison.Ordinal);

    internal static string FirstLine(string text)
    {
        var i = text.IndexOfAny(['\r', '\n']);
        return i < 0 ? text : text[..i];
    }
}
