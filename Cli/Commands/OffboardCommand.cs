using System.CommandLine;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge offboard</c>: the bridge forgets an account (docs/deploy.md, "Offboarding an account").</summary>
public sealed class OffboardCommand : ICliVerb
{
    private const string Description = """
        Offboarding: the bridge forgets an AWS account — its approved states (every region), its pending access
        expiries (their revokes cannot run once the role is gone), its onboarding results and its known-account row, so a
        sweep with Policy:AllowedAccounts=* no longer covers it. Without --yes it only says what it would remove.
        Run it after the account has left the StackSets' OUs (its forwarding rule and member role are gone); if
        POLICY_ALLOWED_ACCOUNTS lists the account, remove it there too (azd env set, azd provision): the command says so.
        Needs table write rights (the app's settings), not the operator's read-only role.
        Exit code: 0 done (or dry run), 1 bad arguments, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge offboard --account 111111111111
          sgbridge offboard --account 111111111111 --yes
        """;

    public Command Create(CliContext context)
    {
        var account = new Option<string>("--account") { Description = "The AWS account id to offboard (12 digits).", Required = true, HelpName = "id" };
        var yes = new Option<bool>("--yes") { Description = "Remove for real (default: a dry run that lists what would go)." };
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document (what was, or would be, removed)." };
        var command = new VerbCommand("offboard", "Forgets an account: approved states, expiries, onboarding results, known-account row.", Description) { account, yes, json };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var id = p.GetValue(account)!.Trim();
            if (id.Length != 12 || !id.All(char.IsAsciiDigit))
            {
                throw new CliUsageException($"--account: '{id}' is not a 12-digit AWS account id.");
            }
            await using var services = settings.Load(p);
            var dryRun = !p.GetValue(yes);
            var r = await services.Get<Offboarding>().RunAsync(id, dryRun, ct).ConfigureAwait(false);
            if (p.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Document(CliJson.VerbPath(p), ExitCodes.Success, new
                {
                    DryRun = dryRun,
                    Account = r.AccountId,
                    r.ApprovedStates,
                    LeaseRows = r.OtherGroupRows,
                    r.Expiries,
                    r.BaselineResults,
                    r.WasKnown,
                    StillListed = r.Listed,
                })).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            var verb = dryRun ? "Would remove" : "Removed";
            await context.Out.WriteLineAsync($"{verb} for {r.AccountId}: {r.ApprovedStates} approved state(s) (+{r.OtherGroupRows} lease row(s)), {r.Expiries} pending access expiry(ies), {r.BaselineResults} onboarding result(s); known account: {(r.WasKnown ? "yes" : "no")}.").ConfigureAwait(false);
            if (r.Listed)
            {
                await context.Out.WriteLineAsync($"POLICY_ALLOWED_ACCOUNTS still lists {r.AccountId}: remove it (azd env set POLICY_ALLOWED_ACCOUNTS ...; azd provision), or its events are still accepted.").ConfigureAwait(false);
            }
            if (dryRun)
            {
                await context.Out.WriteLineAsync("Dry run: nothing removed. Add --yes to remove.").ConfigureAwait(false);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
