using System.CommandLine;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge reconcile</c>: the sweep, run now from the command line.</summary>
public sealed class ReconcileCommand : ICliVerb
{
    private const string Description = """
        The sweep, now: compares every security group of each account and region with its approved state and reverts
        each difference no event explained (a drift request per group and kind, requester "unknown: found by the sweep").
        A group with no approved state yet is handled as Reconcile:UnknownGroups says. Uses the function app's settings.
        --dry-run describes and compares only: no table write, no queue message, no Slack call, no EC2 write.
        --report-only changes nothing in AWS but does record: it opens the drift requests (table writes) and tells Slack
        (queue messages), exactly as a real sweep, only without the reverts. To look without side effects, use --dry-run.
        A fleet run: account × region pairs run --parallel at a time, each within --timeout; a pair that fails is recorded
        and the others go on; progress on stderr, then a summary table.
        Exit code: 0 no difference, 2 differences found (reverted, reported, or listed by --dry-run), 4 some account ×
        region failed (the others are done), 1 bad arguments, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge reconcile --dry-run --settings FunctionApp/local.settings.json
          sgbridge reconcile --report-only --account 111111111111 --region eu-west-1
          sgbridge reconcile --accounts-file accounts.txt --region eu-west-1 --region us-east-1 --json
          sgbridge reconcile --enqueue --report-only --account 111111111111 --region eu-west-1   # the function app does it (operator rights only)
        """;

    public Command Create(CliContext context)
    {
        var where = new AccountRegionArguments();
        var reportOnly = new Option<bool>("--report-only")
        {
            Description = "Change nothing in AWS, but record what differs: drift requests are opened (table) and Slack is told (queue). Not a dry run: see --dry-run.",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Describe and compare only: no table write, no queue message, no Slack call, no EC2 write." };
        var enqueue = new Option<bool>("--enqueue")
        {
            Description = "Do not sweep here: queue one job per account × region on sgbridge-reconcile for the function app (its identity); results are requests (sgbridge requests) and monitoring messages.",
        };
        var json = new Option<bool>("--json") { Description = "Print the results as one sgbridge/v1 JSON document." };
        var command = new VerbCommand("reconcile", "Sweeps accounts and regions now: reverts (or reports) drift from the approved state.", Description) { reportOnly, dryRun, enqueue, json };
        where.AddTo(command);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            where.Given(p);
            if (p.GetValue(dryRun) && p.GetValue(reportOnly))
            {
                throw new CliUsageException("--dry-run and --report-only exclude each other (--dry-run writes nothing; --report-only records requests).");
            }
            await using var services = settings.Load(p);
            var (accounts, regions) = await where.ResolveAsync(p, services, ct).ConfigureAwait(false);
            if (p.GetValue(enqueue))
            {
                if (p.GetValue(dryRun))
                {
                    throw new CliUsageException("--dry-run and --enqueue exclude each other.");
                }
                var queued = await services.Get<OperatorJobs>().EnqueueReconcileAsync(accounts, regions, p.GetValue(reportOnly), ct).ConfigureAwait(false);
                var text = $"Queued {queued} {(p.GetValue(reportOnly) ? "report-only " : "")}sweep job(s) on sgbridge-reconcile; differences become requests (sgbridge requests) and monitoring messages.";
                context.Out.WriteLine(p.GetValue(json) ? CliJson.Document("reconcile", ExitCodes.Success, new { Queued = queued }) : text);
                return ExitCodes.Success;
            }
            // Settings every pair needs fail once, before the fleet (a connection string that is not one: exit 3).
            _ = services.Get<Azure.Data.Tables.TableServiceClient>();
            var results = await where.Runner(p, context).RunAsync(accounts, regions, (account, region, token) => p.GetValue(dryRun)
                ? FleetDryRun.ReconcileAsync(services, account, region, token)
                : SweepAsync(services, account, region, p.GetValue(reportOnly), token), ct).ConfigureAwait(false);
            var failed = results.Count(r => r.Outcome.State == FleetState.Failed);
            var found = results.Count(r => r.Outcome.State == FleetState.Found);
            var exit = failed > 0 ? ExitCodes.PartlyFailed : found > 0 ? ExitCodes.Failed : ExitCodes.Success;
            if (p.GetValue(json))
            {
                context.Out.WriteLine(CliJson.Document("reconcile", exit, FleetRunner.Json(results)));
                return exit;
            }
            FleetRunner.Print(results, context.Out);
            context.Out.WriteLine($"Reconcile{(p.GetValue(dryRun) ? " dry run" : p.GetValue(reportOnly) ? " (report only)" : "")}: {results.Count} account × region pair(s), {found} with differences, {failed} failed" +
                (p.GetValue(dryRun) ? "; nothing written." : "."));
            return exit;
        });
        return command;
    }

    private static async Task<FleetOutcome> SweepAsync(CliServices services, string account, string region, bool reportOnly, CancellationToken ct)
    {
        var report = await services.Get<SweepService>().SweepAsync(account, region, actNow: true, reportOnly: reportOnly, ct).ConfigureAwait(false);
        var lines = report.Requests.Select(r =>
            $"{r.Id} {r.Status} {r.GroupId}: {r.Kind} {string.Join("; ", r.Rules.Select(x => x.Describe()).Concat(r.Edits.Select(e => $"{e.RuleId} {e.After.Describe()}")))}").ToArray();
        return new FleetOutcome(report.Differences > 0 ? FleetState.Found : FleetState.Ok,
            $"{report.Groups} group(s), {report.GroupsWithDifferences} differ ({report.Differences} difference(s))", lines,
            new { report.Groups, report.GroupsWithDifferences, report.Differences, Requests = report.Requests.Select(r => new { r.Id, Status = r.Status.ToString(), r.GroupId }) });
    }
}
