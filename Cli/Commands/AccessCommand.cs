using System.CommandLine;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge access list</c>: the time-bound access live now — approved grants whose end is still ahead (or overdue),
/// from the requests table, each checked against the expiry timer's index (a grant with no index row would never be
/// ended by the timer). Reads only.
/// </summary>
public sealed class AccessCommand : ICliVerb
{
    /// <summary>How late an expiry may be before it counts as overdue (the timer ticks every minute).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    private const string ListDetails = """
        Lists the time-bound access live now: every approved grant with an end (Approved, Applied or ApplyFailed with
        an access end), soonest end first: request, account, region, group, until, time left, the rules, who approved,
        the requester, and whether the expiry timer has it scheduled (its index row in Approvals__ExpiryTable).
        A grant past its end by more than 5 minutes, or with no scheduled expiry, is flagged. Access revoked early that
        AWS has not followed yet is listed first ("Revoked, not yet ended in AWS"), with "skipped: role not deployed"
        while the account's member role cannot be assumed.
        Exit code: 0 listed (also none), 2 a grant is overdue or has no scheduled expiry, or a revoke was tried and is not
        ended yet, 1 bad arguments, 3 settings or storage.

        Examples:
          sgbridge access list --settings FunctionApp/local.settings.json
          sgbridge access list --account 111111111111 --json
        """;

    public Command Create(CliContext context)
    {
        var access = new VerbCommand("access", "Time-bound access live now (`access list`): until when, for whom, and whether its expiry is scheduled.", ListDetails);
        var account = new Option<string?>("--account") { Description = "Only this AWS account (12 digits).", HelpName = "id" };
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document (\"access\")." };
        var list = new VerbCommand("list", "Lists the time-bound access live now, soonest end first.", ListDetails) { account, json };
        var settings = CliSettings.AddTo(list, context);
        VerbAction.Set(list, context, async (p, ct) =>
        {
            var accountId = FilterArguments.Account(p.GetValue(account));
            await using var services = settings.Load(p);
            var storage = services.Get<IOptions<StorageOptions>>().Value;
            var tables = services.Get<TableServiceClient>();
            await CliStorage.RequireTableAsync(tables, storage.RequestsTable, "Storage__RequestsTable", ct).ConfigureAwait(false);
            var now = context.Time.GetUtcNow();
            var grants = (await services.Get<RequestQuery>().ListAsync(new RequestFilter
                {
                    Statuses = [RequestStatus.Approved, RequestStatus.Applied, RequestStatus.ApplyFailed],
                    AccountId = accountId,
                }, ct).ConfigureAwait(false))
                .Where(r => r.CanEndAccess && r.AccessUntil is not null)
                .OrderBy(r => r.AccessUntil).ThenBy(r => r.Id, StringComparer.Ordinal)
                .ToList();
            var scheduled = new HashSet<string>(StringComparer.Ordinal);
            var revokes = new List<AccessExpiryEntry>();
            if (await CliStorage.TableExistsAsync(tables, services.Get<IOptions<ApprovalsOptions>>().Value.ExpiryTable, ct).ConfigureAwait(false))
            {
                await foreach (var entry in services.Get<IAccessExpiryIndex>().ListAllAsync(ct).ConfigureAwait(false))
                {
                    scheduled.Add(entry.RequestId);
                    if (entry.Kind == AccessEndKind.Revoke && (accountId is null || entry.AccountId == accountId))
                    {
                        revokes.Add(entry);
                    }
                }
            }
            // Revoked early but not yet ended in AWS (the request says AccessEnded; its index row is still there): with the
            // account's skip state when its member role cannot be assumed. Tried before: flagged.
            var skipped = revokes.Count == 0 ? new Dictionary<string, string>(StringComparer.Ordinal)
                : (await services.Get<IKnownAccountStore>().ListAsync(ct).ConfigureAwait(false))
                    .Where(a => a.Skip is not null).ToDictionary(a => a.AccountId, a => a.Skip!.Reason, StringComparer.Ordinal);
            var pending = revokes.OrderBy(e => e.DueAt).Select(e => new
            {
                e.RequestId,
                Account = e.AccountId,
                e.Region,
                Group = e.GroupId,
                RevokedBy = e.RevokedBy,
                NextTry = RequestView.Time(e.DueAt),
                e.Attempts,
                State = skipped.TryGetValue(e.AccountId, out var reason) ? "skipped: " + reason : e.Attempts > 0 ? "not ended: retried" : "pending",
            }).ToList();
            var rows = grants.Select(r => new
            {
                Request = r,
                Scheduled = scheduled.Contains(r.Id),
                Overdue = r.AccessUntil!.Value + Grace < now,
            }).ToList();
            var exit = rows.Any(x => x.Overdue || !x.Scheduled) || pending.Any(x => x.Attempts > 0) ? ExitCodes.Failed : ExitCodes.Success;
            if (p.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Document(CliJson.VerbPath(p), exit, new
                {
                    Access = rows.Select(x => new
                    {
                        x.Request.Id,
                        Status = x.Request.Status.ToString(),
                        Account = x.Request.AccountId,
                        x.Request.Region,
                        Group = x.Request.GroupId,
                        Rules = RequestView.Changes(x.Request).ToArray(),
                        Until = RequestView.Time(x.Request.AccessUntil),
                        SecondsLeft = (long)Math.Max(0, (x.Request.AccessUntil!.Value - now).TotalSeconds),
                        ApprovedBy = x.Request.DecidedBy,
                        ApprovedByName = x.Request.DecidedByName,
                        Requester = x.Request.Requester.DisplayName,
                        ExpiryScheduled = x.Scheduled,
                        x.Overdue,
                    }),
                    RevokesNotEnded = pending,
                }, RequestView.Json)).ConfigureAwait(false);
                return exit;
            }
            var o = context.Out;
            foreach (var r in pending)
            {
                await o.WriteLineAsync($"Revoked, not yet ended in AWS: {r.RequestId} {r.Account} {r.Region} {r.Group} ({r.State}; next try {r.NextTry})").ConfigureAwait(false);
            }
            if (rows.Count == 0)
            {
                await o.WriteLineAsync("No time-bound access is live.").ConfigureAwait(false);
                return exit;
            }
            string[] header = ["ID", "UNTIL", "LEFT", "ACCOUNT", "REGION", "GROUP", "RULES", "APPROVED BY", "REQUESTER", "EXPIRY"];
            var table = rows.Select(x => new[]
            {
                x.Request.Id,
                RequestView.Time(x.Request.AccessUntil)!,
                Left(x.Request.AccessUntil!.Value - now),
                x.Request.AccountId,
                x.Request.Region,
                x.Request.GroupId ?? "-",
                string.Join("; ", RequestView.Changes(x.Request)),
                x.Request.DecidedBy ?? "-",
                x.Request.Requester.DisplayName,
                x.Overdue ? "OVERDUE" : x.Scheduled ? "scheduled" : "NOT SCHEDULED",
            }).ToList();
            var widths = header.Select((h, i) => Math.Max(h.Length, table.Max(row => row[i].Length))).ToArray();
            foreach (var row in table.Prepend(header))
            {
                await o.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i])))).ConfigureAwait(false);
            }
            await o.WriteLineAsync().ConfigureAwait(false);
            await o.WriteLineAsync($"{rows.Count} grant(s) live.").ConfigureAwait(false);
            if (exit != ExitCodes.Success)
            {
                await o.WriteLineAsync("OVERDUE / NOT SCHEDULED: the expiry timer has not ended it; check the function app (CatchUp/expiry timer) or revoke it in Slack.").ConfigureAwait(false);
            }
            return exit;
        });
        access.Subcommands.Add(list);
        return access;
    }

    private static string Left(TimeSpan t) =>
        t <= TimeSpan.Zero ? "0m"
        : t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours}h"
        : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes}m"
        : $"{Math.Max(1, (int)Math.Ceiling(t.TotalMinutes)).ToString(CultureInfo.InvariantCulture)}m";
}
