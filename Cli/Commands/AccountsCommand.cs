using System.CommandLine;
using System.Globalization;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge accounts</c>: what the bridge covers — known accounts, skipped ones, onboarding results, the last heartbeat.</summary>
public sealed class AccountsCommand : ICliVerb
{
    private const string Description = """
        What the bridge covers, from its storage (reads only: Storage Table Data Reader is enough): the accounts it knows
        (with Policy:AllowedAccounts=* the sweep covers exactly these), each one's skip state ("skipped: role not
        deployed" while its member role cannot be assumed), the outcome of each onboarding (sgbridge baseline --enqueue)
        with the risky rules it accepted, and the last heartbeat the intake received.
        Exit code: 0 every known account reachable, 2 an account is skipped or no heartbeat was ever received,
        3 settings invalid or storage unreachable.

        Examples:
          sgbridge accounts
          sgbridge accounts --settings FunctionApp/local.settings.json
          sgbridge accounts --json
        """;

    public Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document (\"accounts\", \"onboarding\", \"heartbeat\")." };
        var command = new VerbCommand("accounts", "Known accounts, skipped accounts, onboarding results and the last heartbeat.", Description) { json };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            await using var services = settings.Load(p);
            var now = context.Time.GetUtcNow();
            var known = (await services.Get<IKnownAccountStore>().ListAsync(ct).ConfigureAwait(false)).OrderBy(a => a.AccountId, StringComparer.Ordinal).ToList();
            var results = (await services.Get<IBaselineResultStore>().ListAsync(ct).ConfigureAwait(false))
                .OrderBy(r => r.AccountId, StringComparer.Ordinal).ThenBy(r => r.Region, StringComparer.Ordinal).ToList();
            var beat = await services.Get<Heartbeat>().LastAsync(ct).ConfigureAwait(false);
            var o = context.Out;
            var exit = known.Any(a => a.Skip is not null) || beat is null ? ExitCodes.Failed : ExitCodes.Success;
            if (p.GetValue(json))
            {
                await o.WriteLineAsync(CliJson.Document(CliJson.VerbPath(p), exit, new
                {
                    Accounts = known.Select(a => new
                    {
                        Account = a.AccountId,
                        FirstSeen = RequestView.Time(a.FirstSeen),
                        a.Source,
                        Skipped = a.Skip is null ? null : new { a.Skip.Reason, a.Skip.Regions, Since = RequestView.Time(a.Skip.Since), LastSeen = RequestView.Time(a.Skip.LastSeen) },
                    }),
                    Onboarding = results.Select(r => new { Account = r.AccountId, r.Region, At = RequestView.Time(r.At), r.Groups, r.Recorded, r.LeftAlone, r.Rules, r.RiskyCount, r.RiskyRules, r.Skipped }),
                    Heartbeat = beat is null ? null : new { ReceivedAt = RequestView.Time(beat.ReceivedAt), SentAt = RequestView.Time(beat.SentAt), beat.Account, beat.Rule },
                }, RequestView.Json)).ConfigureAwait(false);
                return exit;
            }

            await o.WriteLineAsync($"Known accounts: {known.Count}").ConfigureAwait(false);
            foreach (var a in known)
            {
                var state = a.Skip is { } s
                    ? $"skipped: {s.Reason} ({string.Join(", ", s.Regions)}; since {Time(s.Since)}, last {Time(s.LastSeen)})"
                    : "covered";
                await o.WriteLineAsync($"  {a.AccountId}  {state}  (known since {Time(a.FirstSeen)}, {a.Source})").ConfigureAwait(false);
            }
            await o.WriteLineAsync($"Onboarding results: {results.Count}").ConfigureAwait(false);
            foreach (var r in results)
            {
                await o.WriteLineAsync($"  {Time(r.At)}  {r.Describe()}").ConfigureAwait(false);
                foreach (var line in r.RiskyRules)
                {
                    await o.WriteLineAsync($"    ! {line}").ConfigureAwait(false);
                }
                if (r.RiskyCount > r.RiskyRules.Count)
                {
                    await o.WriteLineAsync($"    … and {r.RiskyCount - r.RiskyRules.Count} more").ConfigureAwait(false);
                }
            }
            await o.WriteLineAsync(beat is null
                ? "Last heartbeat: never (deploy aws-bootstrap/sgbridge-central-bus.yaml; check the function key)"
                : $"Last heartbeat: {Time(beat.ReceivedAt)} ({Math.Round((now - beat.ReceivedAt).TotalMinutes)} min ago; delivered {Math.Round(beat.Delay.TotalSeconds)} s after it was sent)").ConfigureAwait(false);
            return exit;
        });
        return command;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
