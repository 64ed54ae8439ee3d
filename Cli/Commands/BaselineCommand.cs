using System.CommandLine;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge baseline</c>: onboarding — every group's current rules become its approved state.</summary>
public sealed class BaselineCommand : ICliVerb
{
    private const string Description = """
        Onboarding: records every security group's current rules, in each account and region, as its approved state
        (the rules reconcile converges to). Idempotent: a group that already has an approved state is left alone unless
        --force. Prints, per account and region, the groups and rules recorded and the risky rules it has just accepted
        (the internet on admin or database ports, all traffic): review them. Uses the function app's settings and its AWS
        role (Aws:*) and storage (Storage:*).
        A fleet run: account × region pairs run --parallel at a time, each within --timeout; a pair that fails (a missing
        role, a disabled region) is recorded and the others go on; progress on stderr, then a summary table.
        --dry-run describes the groups and reads their approved states, and says what would be recorded: it writes nothing.
        Exit code: 0 done, 4 some account × region failed (the others are done), 1 bad arguments,
        3 settings invalid or storage unreachable.

        Examples:
          sgbridge baseline --settings FunctionApp/local.settings.json
          sgbridge baseline --dry-run --account 111111111111 --region eu-west-1 --region us-east-1
          sgbridge baseline --accounts-file accounts.txt --region eu-west-1 --parallel 8
          sgbridge baseline --account 111111111111 --region eu-west-1 --force
          sgbridge baseline --enqueue --account 111111111111 --region eu-west-1       # the function app does it (operator rights only)
        """;

    public Command Create(CliContext context)
    {
        var where = new AccountRegionArguments();
        var force = new Option<bool>("--force") { Description = "Overwrite approved states that exist already with what the groups hold now." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Describe and compare only: say what would be recorded; write nothing." };
        var enqueue = new Option<bool>("--enqueue")
        {
            Description = "Do not onboard here: queue one job per account × region on sgbridge-reconcile for the function app (its identity, its scale-out).",
        };
        var json = new Option<bool>("--json") { Description = "Print the results as one sgbridge/v1 JSON document." };
        var command = new VerbCommand("baseline", "Onboarding: records every group's current rules as approved.", Description) { force, dryRun, enqueue, json };
        where.AddTo(command);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            where.Given(p);
            if (p.GetValue(dryRun) && p.GetValue(enqueue))
            {
                throw new CliUsageException("--dry-run and --enqueue exclude each other.");
            }
            await using var services = settings.Load(p);
            var (accounts, regions) = await where.ResolveAsync(p, services, ct).ConfigureAwait(false);
            // Settings every pair needs fail once, before the fleet (a connection string that is not one: exit 3).
            _ = services.Get<Azure.Data.Tables.TableServiceClient>();
            if (p.GetValue(enqueue))
            {
                var queued = await services.Get<OperatorJobs>().EnqueueBaselineAsync(accounts, regions, p.GetValue(force), ct).ConfigureAwait(false);
                var text = $"Queued {queued} onboarding job(s) on sgbridge-reconcile ({accounts.Count} account(s) × {regions.Count} region(s)); the results go to the monitoring channel, and `sgbridge accounts` shows them.";
                context.Out.WriteLine(p.GetValue(json) ? CliJson.Document("baseline", ExitCodes.Success, new { Queued = queued }) : text);
                return ExitCodes.Success;
            }
            var results = await where.Runner(p, context).RunAsync(accounts, regions, (account, region, token) => p.GetValue(dryRun)
                ? FleetDryRun.BaselineAsync(services, account, region, p.GetValue(force), token)
                : OnboardAsync(services, account, region, p.GetValue(force), token), ct).ConfigureAwait(false);
            var failed = results.Count(r => r.Outcome.State == FleetState.Failed);
            var exit = failed > 0 ? ExitCodes.PartlyFailed : ExitCodes.Success;
            if (p.GetValue(json))
            {
                context.Out.WriteLine(CliJson.Document("baseline", exit, FleetRunner.Json(results)));
                return exit;
            }
            FleetRunner.Print(results, context.Out);
            context.Out.WriteLine(p.GetValue(dryRun)
                ? $"Baseline dry run: {results.Count - failed} of {results.Count} account × region pair(s) read, {failed} failed; nothing written."
                : $"Baseline: {results.Count - failed} of {results.Count} account × region pair(s) onboarded, {failed} failed.");
            return exit;
        });
        return command;
    }

    private static async Task<FleetOutcome> OnboardAsync(CliServices services, string account, string region, bool force, CancellationToken ct)
    {
        var s = await services.Get<BaselineService>().BaselineAsync(account, region, force, ct).ConfigureAwait(false);
        return new FleetOutcome(FleetState.Ok,
            $"{s.Groups} group(s), {s.Recorded} recorded ({s.Rules} rules), {s.LeftAlone} already had an approved state, {s.Risky.Count} risky rule(s) accepted",
            s.Risky.Select(r => $"! {r.GroupId} ({r.GroupName}): {r.Rule.Describe()} — {r.Risk}").ToArray(),
            new { s.Groups, s.Recorded, s.Rules, s.LeftAlone, Risky = s.Risky.Select(r => new { r.GroupId, r.GroupName, Rule = r.Rule.Describe(), r.Risk }) });
    }
}
