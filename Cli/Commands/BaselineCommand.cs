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
        Exit code: 0 done, 1 bad arguments, 3 settings invalid or AWS/storage unreachable.

        Examples:
          sgbridge baseline --settings FunctionApp/local.settings.json
          sgbridge baseline --account 111111111111 --region eu-west-1 --region us-east-1
          sgbridge baseline --account 111111111111 --region eu-west-1 --force
          sgbridge baseline --enqueue --account 111111111111 --region eu-west-1       # the function app does it (operator rights only)
        """;

    public Command Create(CliContext context)
    {
        var where = new AccountRegionArguments();
        var force = new Option<bool>("--force") { Description = "Overwrite approved states that exist already with what the groups hold now." };
        var enqueue = new Option<bool>("--enqueue")
        {
            Description = "Do not onboard here: queue one job per account × region on sgbridge-reconcile for the function app (its identity, its scale-out).",
        };
        var command = new VerbCommand("baseline", "Onboarding: records every group's current rules as approved.", Description) { force, enqueue };
        where.AddTo(command);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            await using var services = settings.Load(p);
            var (accounts, regions) = where.Resolve(p, services);
            if (p.GetValue(enqueue))
            {
                var queued = await services.Get<OperatorJobs>().EnqueueBaselineAsync(accounts, regions, p.GetValue(force), ct).ConfigureAwait(false);
                await context.Out.WriteLineAsync($"Queued {queued} onboarding job(s) on sgbridge-reconcile ({accounts.Count} account(s) × {regions.Count} region(s)); the results go to the monitoring channel, and `sgbridge accounts` shows them.").ConfigureAwait(false);
                return ExitCodes.Success;
            }
            var baseline = services.Get<BaselineService>();
            int groups = 0, recorded = 0, rules = 0, risky = 0;
            foreach (var account in accounts)
            {
                foreach (var region in regions)
                {
                    var s = await baseline.BaselineAsync(account, region, p.GetValue(force), ct).ConfigureAwait(false);
                    await context.Out.WriteLineAsync($"{account} {region}: {s.Groups} group(s), {s.Recorded} recorded ({s.Rules} rules), {s.LeftAlone} already had an approved state").ConfigureAwait(false);
                    foreach (var r in s.Risky)
                    {
                        await context.Out.WriteLineAsync($"  ! {r.GroupId} ({r.GroupName}): {r.Rule.Describe()} — {r.Risk}").ConfigureAwait(false);
                    }
                    groups += s.Groups;
                    recorded += s.Recorded;
                    rules += s.Rules;
                    risky += s.Risky.Count;
                }
            }
            await context.Out.WriteLineAsync($"Baseline: {accounts.Count} account(s), {regions.Count} region(s), {groups} group(s), {recorded} recorded, {rules} rule(s) approved, {risky} risky rule(s) accepted.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
