using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;

namespace SgBridge.Cli.Commands;

/// <summary>
/// What doctor needs to check the two delivery paths that settings alone do not show: the heartbeat interval
/// (pHeartbeatMinutes of the central bus stack), the deployment's slash-command URL (Bicep output SLACK_COMMANDS_URL),
/// and optionally the Slack app's manifest as Slack holds it (exported JSON).
/// </summary>
internal sealed record DoctorDelivery(int HeartbeatMinutes = DoctorDelivery.DefaultHeartbeatMinutes, string? CommandsUrl = null, string? SlackManifest = null)
{
    public const int DefaultHeartbeatMinutes = 5;

    /// <summary>The route the app serves the slash command on (FunctionApp Routes.SlackCommands under host.json's "api" prefix).</summary>
    public const string CommandsPath = "/api/slack/commands";

    /// <summary>The command the manifest (docs/slack-app-manifest.yaml) creates.</summary>
    public const string Command = "/sgbridge";
}

internal sealed partial class DoctorChecks
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    // ---- heartbeat ------------------------------------------------------------------------------------------------

    /// <summary>The last heartbeat the intake recorded (<see cref="Heartbeat"/>), and whether it is younger than two intervals.</summary>
    private async Task CheckHeartbeatAsync(CancellationToken cancellationToken)
    {
        if (_invalidSections.Contains(StorageOptions.SectionName) || _storageUnusable)
        {
            Add("heartbeat", "last", CheckState.Skipped, "skipped: storage cannot be used with these settings (see above).");
            return;
        }
        var interval = TimeSpan.FromMinutes((delivery ?? new DoctorDelivery()).HeartbeatMinutes);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var options = services.Get<IOptions<StorageOptions>>().Value;
        await RunAsync("heartbeat", "last", async ct =>
        {
            var beat = await services.Get<Heartbeat>().LastAsync(ct).ConfigureAwait(false);
            if (beat is null)
            {
                return (CheckState.Failed, "never received: no heartbeat has reached the intake, so no event is known to be delivered either.");
            }
            var age = now - beat.ReceivedAt;
            var seen = $"received {RequestView.Time(beat.ReceivedAt)} ({Minutes(age)} min ago, from {beat.Rule}, delivered {Math.Round(beat.Delay.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s after it was sent)";
            return age > 2 * interval
                ? (CheckState.Failed, $"{seen}: older than two heartbeat intervals ({Minutes(2 * interval)} min), the delivery path is broken.")
                : (CheckState.Passed, seen + ".");
        }, ex => ex is InvalidOperationException
            ? "deploy aws-bootstrap/sgbridge-central-bus.yaml with the intake's function key (docs/deploy.md step 5); if it is deployed, compare `scripts/intake-function-key.sh list` with its pFunctionKey, check that the app runs, and the heartbeat rule and API destination in the central account (--heartbeat-minutes is its pHeartbeatMinutes)."
            : StorageFix(options)(ex), cancellationToken).ConfigureAwait(false);
    }

    private static string Minutes(TimeSpan t) => Math.Round(t.TotalMinutes).ToString(CultureInfo.InvariantCulture);

    // ---- the slash command's URL ----------------------------------------------------------------------------------

    /// <summary>
    /// The URL Slack sends <c>/sgbridge</c> to must be the deployment's <c>SLACK_COMMANDS_URL</c> (docs/deploy.md step 4
    /// sets it). With the app's exported manifest, compares the two; without, checks the deployment's own value and that
    /// its endpoint answers (401 to an unsigned request: the route exists and verifies Slack's signature), and says
    /// that Slack's side was not checked.
    /// </summary>
    private async Task CheckSlashCommandAsync(CancellationToken cancellationToken)
    {
        const string Name = DoctorDelivery.Command + " URL";
        var d = delivery ?? new DoctorDelivery();
        var configured = d.CommandsUrl ?? services.Configuration["SLACK_COMMANDS_URL"]
            ?? (services.Configuration["WEBSITE_HOSTNAME"] is { Length: > 0 } host ? $"https://{host}{DoctorDelivery.CommandsPath}" : null);
        if (string.IsNullOrWhiteSpace(configured))
        {
            Add("slack", Name, CheckState.Skipped, "skipped: the deployment's slash-command URL is not known.",
                "pass --commands-url <SLACK_COMMANDS_URL> (azd env get-values, or az deployment sub show -n sgbridge --query properties.outputs).");
            return;
        }
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var expected)
            || !(expected.Scheme == Uri.UriSchemeHttps || (expected.Scheme == Uri.UriSchemeHttp && expected.IsLoopback))
            || expected.AbsolutePath != DoctorDelivery.CommandsPath)
        {
            Add("slack", Name, CheckState.Failed, $"the deployment's slash-command URL {configured} is not https://<app>{DoctorDelivery.CommandsPath}.",
                $"use the Bicep output SLACK_COMMANDS_URL (https://<AZURE_FUNCTION_APP_NAME>.azurewebsites.net{DoctorDelivery.CommandsPath}).");
            return;
        }
        var fix = $"in the Slack app: Slash Commands → {DoctorDelivery.Command} → Request URL = {expected}, then save (docs/deploy.md step 4).";
        if (d.SlackManifest is { } path)
        {
            var (state, detail) = ManifestCommandUrl(path, expected);
            Add("slack", Name, state, detail, state == CheckState.Passed ? null : fix);
            return;
        }
        var answered = false;
        await RunAsync("slack", Name, async ct =>
        {
            using var http = new HttpClient { Timeout = ProbeTimeout };
            using var probe = await http.PostAsync(expected, new FormUrlEncodedContent([KeyValuePair.Create("command", DoctorDelivery.Command)]), ct).ConfigureAwait(false);
            answered = probe.StatusCode == HttpStatusCode.Unauthorized;
            return answered
                ? (CheckState.Warning, $"the deployment answers at {expected} (401 to an unsigned request: it checks Slack's signature); what Slack sends {DoctorDelivery.Command} to was not checked (no --slack-manifest).")
                : (CheckState.Failed, $"{expected} answered {(int)probe.StatusCode} to an unsigned request, not 401: it is not the bridge's slash-command endpoint.");
        }, ex => ex switch
        {
            InvalidOperationException when !answered => "check SLACK_COMMANDS_URL against the deployment's outputs, and that the code is deployed (azd deploy).",
            HttpRequestException or TimeoutException => $"the deployment's endpoint cannot be reached: check --commands-url / SLACK_COMMANDS_URL against the deployment's outputs and that the app runs.",
            _ => $"to check what Slack holds, export the app's manifest (api.slack.com/apps → your app → App Manifest → JSON) and pass --slack-manifest <file>; {fix}",
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>features.slash_commands[command=/sgbridge].url of a Slack app manifest (JSON, as Slack exports it).</summary>
    internal static (CheckState State, string Detail) ManifestCommandUrl(string path, Uri expected)
    {
        JsonDocument manifest;
        try
        {
            manifest = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliUsageException($"--slack-manifest: {path} cannot be read as the Slack app manifest (JSON, from App Manifest → JSON): {ex.Message.Split('\n')[0].TrimEnd('\r')}");
        }
        using (manifest)
        {
            var root = manifest.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("manifest", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object)
            {
                root = wrapped; // apps.manifest.export's answer: {"ok":true,"manifest":{...}}
            }
            string? url = null;
            var found = false;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("features", out var features) && features.ValueKind == JsonValueKind.Object
                && features.TryGetProperty("slash_commands", out var commands) && commands.ValueKind == JsonValueKind.Array)
            {
                foreach (var c in commands.EnumerateArray())
                {
                    if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("command", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == DoctorDelivery.Command)
                    {
                        found = true;
                        url = c.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                    }
                }
            }
            if (!found)
            {
                return (CheckState.Failed, $"the Slack app's manifest ({path}) has no {DoctorDelivery.Command} command (features.slash_commands).");
            }
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var actual) || !Uri.Equals(actual, expected))
            {
                return (CheckState.Failed, $"Slack sends {DoctorDelivery.Command} to {url ?? "no URL"}; the deployment answers at {expected}.");
            }
            return (CheckState.Passed, $"Slack sends {DoctorDelivery.Command} to {expected}, the deployment's SLACK_COMMANDS_URL (from {path}).");
        }
    }
}
