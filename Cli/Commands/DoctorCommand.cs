using System.CommandLine;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge doctor</c>: checks a deployment's settings and everything they point at, as the app would use them:
/// the options validation, storage, STS into each allowed account, EC2 reads in each region, and Slack.
/// </summary>
public sealed class DoctorCommand : ICliVerb
{
    private const string Description = """
        Checks a deployment with the app's own settings and services, and prints ✓ or ✗ per check with the fix:
          settings  the app's options validation, each failure with the setting's name
          storage   the requests and snapshots tables and the queues, reached with the configured auth
          sts       the member role in each account of Policy:AllowedAccounts exists and trusts the bridge
          ec2       DescribeSecurityGroups and DescribeSecurityGroupRules in each --region, in each account
          slack     auth.test with the bot token, the bot's membership of both channels, and the /sgbridge URL:
                    with --slack-manifest, what Slack sends the command to equals the deployment's SLACK_COMMANDS_URL;
                    without, the deployment's URL has the right form and its endpoint answers (Slack's side: a warning)
          heartbeat the last heartbeat the intake recorded, failed when none ever arrived or it is older than two
                    heartbeat intervals (--heartbeat-minutes, pHeartbeatMinutes of the central bus stack)
        Reads only; changes nothing (the slash-command probe is one unsigned POST, which the app refuses with 401). A check that cannot run because an earlier one failed is shown as skipped (–).
        Exit code: 0 every check passed, 2 a check failed (✗), 1 bad arguments.

        Examples:
          sgbridge doctor --settings FunctionApp/local.settings.json
          sgbridge doctor --region eu-west-1 --region us-east-1
          sgbridge doctor --commands-url "$SLACK_COMMANDS_URL" --slack-manifest manifest.json
        """;

    public Command Create(CliContext context)
    {
        var regions = new Option<string[]>("--region")
        {
            Description = "AWS regions to check EC2 in (repeat or comma separate; default: Aws:StsRegion, else us-east-1).",
            HelpName = "region",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new VerbCommand("doctor", "Checks the settings, storage, AWS roles, EC2 access and Slack, with a fix for each failure.", Description) { regions };
        var heartbeatMinutes = new Option<int>("--heartbeat-minutes")
        {
            Description = "Minutes between heartbeats (pHeartbeatMinutes of the central bus stack; default 5). Older than two intervals fails.",
            HelpName = "minutes",
            DefaultValueFactory = _ => DoctorDelivery.DefaultHeartbeatMinutes,
        };
        var commandsUrl = new Option<string?>("--commands-url")
        {
            Description = "The deployment's SLACK_COMMANDS_URL (default: the SLACK_COMMANDS_URL setting, e.g. from `azd env get-values`).",
            HelpName = "url",
        };
        var manifest = new Option<string?>("--slack-manifest")
        {
            Description = "The Slack app's manifest as Slack holds it (App Manifest → JSON): checks the /sgbridge Request URL.",
            HelpName = "file",
        };
        command.Options.Add(heartbeatMinutes);
        command.Options.Add(commandsUrl);
        command.Options.Add(manifest);
        var settings = CliSettings.AddTo(command, context);
        var json = new Option<bool>("--json") { Description = "Print the checks as one sgbridge/v1 JSON document (at the end) instead of streaming lines." };
        command.Options.Add(json);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var requested = (p.GetValue(regions) ?? [])
                .SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            foreach (var region in requested)
            {
                AccountRegionArguments.RequireRegion(region);
            }
            var minutes = p.GetValue(heartbeatMinutes);
            if (minutes is < 1 or > 1440)
            {
                throw new CliUsageException($"--heartbeat-minutes: {minutes} is not between 1 and 1440 (pHeartbeatMinutes of the central bus stack).");
            }
            var manifestPath = p.GetValue(manifest);
            if (manifestPath is not null && !File.Exists(manifestPath))
            {
                throw new CliUsageException($"--slack-manifest: no such file: {manifestPath}");
            }
            var delivery = new DoctorDelivery(minutes, p.GetValue(commandsUrl), manifestPath);
            var asJson = p.GetValue(json);
            await using var services = settings.Load(p);
            // Each check is printed the moment it finishes: a slow one shows where the time goes.
            var checks = new DoctorChecks(services, asJson ? null : r => { PrintOne(r, context.Out); context.Out.Flush(); }, delivery, context.Time);
            var results = await checks.RunAsync(requested, ct).ConfigureAwait(false);
            var exit = results.Any(r => r.State == CheckState.Failed) ? ExitCodes.Failed : ExitCodes.Success;
            if (asJson)
            {
                context.Out.WriteLine(CliJson.Document("doctor", exit, new
                {
                    Checks = results.Select(r => new { r.Area, r.Name, State = r.State.ToString().ToLowerInvariant(), r.Detail, r.Fix }),
                }));
            }
            else
            {
                PrintSummary(results, context.Out);
            }
            return exit;
        });
        return command;
    }

    internal static void Print(IReadOnlyList<CheckResult> results, TextWriter o)
    {
        foreach (var r in results)
        {
            PrintOne(r, o);
        }
        PrintSummary(results, o);
    }

    private static void PrintOne(CheckResult r, TextWriter o)
    {
        var mark = r.State switch
        {
            CheckState.Passed => "✓",
            CheckState.Failed => "✗",
            CheckState.Warning => "!",
            _ => "–",
        };
        o.WriteLine($"{mark} {r.Area} {r.Name}: {r.Detail}");
        if (r.Fix is not null && r.State != CheckState.Passed)
        {
            o.WriteLine($"    fix: {r.Fix}");
        }
    }

    private static void PrintSummary(IReadOnlyList<CheckResult> results, TextWriter o)
    {
        var failed = results.Count(r => r.State == CheckState.Failed);
        o.WriteLine();
        o.WriteLine(failed == 0
            ? $"All {results.Count(r => r.State == CheckState.Passed)} checks passed" +
              (results.Any(r => r.State is CheckState.Skipped or CheckState.Warning) ? " (some skipped or with warnings: see above)." : ".")
            : $"{failed} check(s) failed.");
    }

}

public enum CheckState
{
    Passed,
    Failed,
    Warning,
    Skipped,
}

/// <summary>One line of the doctor's report: area (settings, storage, sts, ec2, slack), what was checked, what was seen, the fix.</summary>
public sealed record CheckResult(string Area, string Name, CheckState State, string Detail, string? Fix = null);
