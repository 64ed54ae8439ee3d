using System.CommandLine;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge reconcile</c>: the sweep, run now from the command line.</summary>
public sealed class ReconcileCommand : ICliVerb
{
    private const string Description = """
        The sweep, now: compares every security group of each account and region with its approved state and reverts
        each difference no event explained (a drift request per group and kind, requester "unknown: found by the sweep"),
        or with --report-only only reports them (nothing changes in AWS). A group with no approved state yet is handled as
        Reconcile:UnknownGroups says. Uses the function app's settings.
        Exit code: 0 no difference, 2 differences found (reverted or reported), 1 bad arguments, 3 settings invalid or AWS/storage unreachable.

        Examples:
          sgbridge reconcile --report-only --settings FunctionApp/local.settings.json
          sgbridge reconcile --account 111111111111 --region eu-west-1
          sgbridge reconcile --enqueue --report-only --account 111111111111 --region eu-west-1   # the function app does it
        """;

    public Command Create(CliContext context)
    {
        var where = new AccountRegionArguments();
        var reportOnly = new Option<bool>("--report-only") { Description = "Report differences; change nothing in AWS." };
        var enqueue = new Option<bool>("--enqueue")
        {
            Description = "Do not sweep here: queue one job per account × region on sgbridge-reconcile for the function app (its identity); results are requests (sgbridge requests) and monitoring messages.",
        };
        var command = new VerbCommand("reconcile", "Sweeps accounts and regions now: reverts (or reports) drift from the approved state.", Description) { reportOnly, enqueue };
        where.AddTo(command);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            await using var services = settings.Load(p);
            var (accounts, regions) = where.Resolve(p, services);
            if (p.GetValue(enqueue))
            {
                var queued = await services.Get<OperatorJobs>().EnqueueReconcileAsync(accounts, regions, p.GetValue(reportOnly), ct).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Queued {queued} {(p.GetValue(reportOnly) ? "report-only " : "")}sweep job(s) on sgbridge-reconcile; differences become requests (sgbridge requests) and monitoring messages.").ConfigureAwait(false);
                return ExitCodes.Success;
            }
            var sweeps = services.Get<SweepService>();
            var found = 0;
            foreach (var account in accounts)
            {
                foreach (var region in regions)
                {
                    var report = await sweeps.SweepAsync(account, region, actNow: true, reportOnly: p.GetValue(reportOnly), ct).ConfigureAwait(false);
                    found += report.Differences;
                    await context.Out.WriteLineAsync($"{account} {region}: {report.Groups} group(s), {report.GroupsWithDifferences} differ ({report.Differences} difference(s))").ConfigureAwait(false);
                    foreach (var r in report.Requests)
                    {
                        await context.Out.WriteLineAsync($"  {r.Id} {r.Status} {r.GroupId}: {r.Kind} {string.Join("; ", r.Rules.Select(x => x.Describe()).Concat(r.Edits.Select(e => $"{e.RuleId} {e.After.Describe()}")))}").ConfigureAwait(false);
                    }
                }
            }
            return found == 0 ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }
}
