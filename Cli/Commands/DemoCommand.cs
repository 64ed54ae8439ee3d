using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SgBridge.FunctionApp;
using SgBridge.Local;
using SgBridge.Local.Demo;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge demo</c>: the whole loop on this machine — the local host, a sample account, a risky change, the approvers' page.</summary>
public sealed class DemoCommand : ICliVerb
{
    private const int DefaultPort = 7071;

    private const string Description = """
        The whole loop on this machine, no cloud account and no Slack workspace: starts the bridge's functions behind a
        local host (Azurite, an in-process EC2/STS, a local Slack), creates a sample account with a VPC and two groups
        and onboards them, then a person opens SSH to the internet (an EC2 call, and its CloudTrail event posted to the
        intake as EventBridge posts it). Open the page it prints: watch the revert, click Approve (or Deny), see AWS
        follow and the message update. Ctrl+C stops everything. --script runs the same story unattended (it clicks).
        Exit code: 0 every step happened, 1 bad arguments, 2 a step did not happen (--script), 3 could not start.

        Examples:
          sgbridge demo
          sgbridge demo --script
          sgbridge demo --script --deny
          sgbridge demo --aws moto --port 8080
        """;

    public Command Create(CliContext context)
    {
        var script = new Option<bool>("--script") { Description = "Unattended: click as an approver, check every step, exit 0 only if each happened." };
        var deny = new Option<bool>("--deny") { Description = "With --script: click Deny instead of Approve (the change stays undone)." };
        var aws = new Option<LocalAwsMode>("--aws") { Description = "Where AWS calls go: Emulator (in-process, default) or Moto (moto_server, started here).", DefaultValueFactory = _ => LocalAwsMode.Emulator };
        var port = new Option<int?>("--port") { Description = $"Port of the page and the functions (default {DefaultPort}, or a free one if it is taken; --script: a free one)." };
        var command = new VerbCommand("demo", "The whole loop locally: revert, approvers' page, approve, apply.", Description) { script, deny, aws, port };
        VerbAction.Set(command, context, async (p, ct) =>
        {
            if (p.GetValue(deny) && !p.GetValue(script))
            {
                throw new CliUsageException("--deny goes with --script (on the page, click Deny yourself).");
            }
            if (p.GetValue(aws) == LocalAwsMode.Settings)
            {
                throw new CliUsageException("--aws takes Emulator or Moto (real AWS is for a deployment, not the demo).");
            }
            return p.GetValue(script)
                ? await RunScriptAsync(context, p.GetValue(aws), p.GetValue(port) ?? 0, !p.GetValue(deny), ct).ConfigureAwait(false)
                : await RunInteractiveAsync(context, p.GetValue(aws), p.GetValue(port), ct).ConfigureAwait(false);
        });
        return command;
    }

    private static LocalBridgeOptions Options(LocalAwsMode aws, int port) => new()
    {
        Aws = aws,
        Port = port,
        // The demo prints its own story; the bridge's own warnings and errors still show.
        MinimumLogLevel = LogLevel.Error,
    };

    private static async Task<LocalBridge> StartAsync(CliContext context, LocalAwsMode aws, int? port, CancellationToken ct)
    {
        await context.Out.WriteLineAsync("Starting the local bridge (Azurite, " + (aws == LocalAwsMode.Moto ? "moto" : "the in-process EC2/STS") + ", the local Slack)…").ConfigureAwait(false);
        if (port is null)
        {
            try
            {
                return await LocalBridge.StartAsync(Options(aws, DefaultPort), ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                await context.Out.WriteLineAsync($"Port {DefaultPort} is taken: using a free one.").ConfigureAwait(false);
            }
        }
        return await LocalBridge.StartAsync(Options(aws, port ?? 0), ct).ConfigureAwait(false);
    }

    private static async Task<int> RunScriptAsync(CliContext context, LocalAwsMode aws, int port, bool approve, CancellationToken ct)
    {
        await using var bridge = await StartAsync(context, aws, port, ct).ConfigureAwait(false);
        await context.Out.WriteLineAsync($"Local bridge at {bridge.BaseUrl} ({bridge.Functions.Count} functions).").ConfigureAwait(false);
        var story = new DemoStory(bridge, context.Out);
        await story.SetUpAsync(ct).ConfigureAwait(false);
        await story.MakeRiskyChangeAsync(ct).ConfigureAwait(false);
        await story.WaitForRevertAsync(ct).ConfigureAwait(false);
        if (story.Steps.All(s => s.Happened))
        {
            await story.DecideAsync(approve, ct).ConfigureAwait(false);
            await story.WaitForOutcomeAsync(approve, ct).ConfigureAwait(false);
        }
        var missed = story.Steps.Where(s => !s.Happened).ToList();
        await context.Out.WriteLineAsync(missed.Count == 0
            ? $"Demo: all {story.Steps.Count} steps happened."
            : $"Demo: {missed.Count} step(s) did not happen: {string.Join("; ", missed.Select(s => s.Name))}.").ConfigureAwait(false);
        return missed.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task<int> RunInteractiveAsync(CliContext context, LocalAwsMode aws, int? port, CancellationToken ct)
    {
        await using var bridge = await StartAsync(context, aws, port, ct).ConfigureAwait(false);
        var story = new DemoStory(bridge, context.Out);
        await story.SetUpAsync(ct).ConfigureAwait(false);
        await story.MakeRiskyChangeAsync(ct).ConfigureAwait(false);
        var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        await context.Out.WriteLineAsync($"""

            Open the approvers' page: {bridge.BaseUrl}   (ready {sinceStart.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s after `demo` started)
            Watch the revert, then click Approve (or Deny) as an approver. Ctrl+C stops the bridge and the emulators.
            Your own events: POST {bridge.AwsEventsUrl} with {Routes.FunctionKeyHeader}: {bridge.FunctionKey}
            (AWS: {bridge.AwsEndpoint}, account {DemoStory.Account}, {LocalBridge.Region}).

            """).ConfigureAwait(false);
        try
        {
            await story.WaitForRevertAsync(ct).ConfigureAwait(false);
            story.RememberMessageVersion();
            RequestStatusWatch decision;
            while ((decision = await WatchDecisionAsync(story, ct).ConfigureAwait(false)) == RequestStatusWatch.Waiting)
            {
            }
            await context.Out.WriteLineAsync(decision == RequestStatusWatch.Approved ? "  Approved on the page." : "  Denied on the page.").ConfigureAwait(false);
            await story.WaitForOutcomeAsync(decision == RequestStatusWatch.Approved, ct).ConfigureAwait(false);
            await context.Out.WriteLineAsync("The loop is done. The page stays up until Ctrl+C.").ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        await context.Out.WriteLineAsync("Stopping.").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private enum RequestStatusWatch
    {
        Waiting,
        Approved,
        Denied,
    }

    private static async Task<RequestStatusWatch> WatchDecisionAsync(DemoStory story, CancellationToken ct)
    {
        await Task.Delay(250, ct).ConfigureAwait(false);
        return await story.StatusAsync(ct).ConfigureAwait(false) switch
        {
            Shared.Domain.RequestStatus.Approved or Shared.Domain.RequestStatus.Applied or Shared.Domain.RequestStatus.ApplyFailed => RequestStatusWatch.Approved,
            Shared.Domain.RequestStatus.Denied => RequestStatusWatch.Denied,
            _ => RequestStatusWatch.Waiting,
        };
    }
}
