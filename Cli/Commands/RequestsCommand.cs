using System.CommandLine;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge requests [list]</c> lists change requests from the requests table; <c>sgbridge requests show ID</c>
/// prints the whole history of one. Reads only Table Storage (the Storage settings); writes nothing.
/// </summary>
public sealed class RequestsCommand : ICliVerb
{
    private const string ListDescription = """
        Lists change requests, newest first: id, created, status, account, region, group, event and requester.
        Status, account and --since are filtered by Table Storage; --requester is matched here (case-insensitive,
        in the requester's ARN, role ARN, user or session name). Needs the Storage settings only.
        Exit code: 0 (also when nothing matches), 1 bad arguments, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge requests --status Pending --since 7d --settings FunctionApp/local.settings.json
          sgbridge requests list --account 111111111111 --requester alice@example.com --json
          Storage__AccountName=stsgbridgeprod sgbridge requests list --status RevertFailed,ApplyFailed --since 2026-11-01
        """;

    private const string ShowDescription = """
        Prints the whole history of one request: the event (id, name, time, requester), the change, the revert call
        and its outcome and notes, the decision (who, when) and the apply outcome. The id is SG-XXXXXXXX (as in
        Slack), or the CloudTrail event id it was derived from.
        Exit code: 0 found, 2 no such request, 1 bad arguments, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge requests show SG-7KQ2M9XD --settings FunctionApp/local.settings.json
          sgbridge requests show 5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001 --json
        """;

    public Command Create(CliContext context)
    {
        var requests = new VerbCommand("requests", "Lists change requests (filters: status, account, requester, since); `requests show ID` prints one; `requests approve|deny ID` decides one without Slack.", ListDescription);
        ConfigureList(requests, context);

        var list = new VerbCommand("list", "Lists change requests, newest first (the default of `requests`).", ListDescription);
        ConfigureList(list, context);
        requests.Subcommands.Add(list);

        var show = new VerbCommand("show", "Prints the whole history of one request.", ShowDescription);
        var id = new Argument<string>("id") { Description = "SG-XXXXXXXX, or the CloudTrail event id." };
        var json = new Option<bool>("--json") { Description = "Print the history as one sgbridge/v1 JSON document (its \"request\" field)." };
        show.Arguments.Add(id);
        show.Options.Add(json);
        var showSettings = CliSettings.AddTo(show, context);
        VerbAction.Set(show, context, async (p, ct) =>
        {
            var requestId = ToRequestId(p.GetRequiredValue(id));
            await using var services = showSettings.Load(p);
            var table = services.Get<IOptions<StorageOptions>>().Value.RequestsTable;
            await CliStorage.RequireTableAsync(services.Get<TableServiceClient>(), table, "Storage__RequestsTable", ct).ConfigureAwait(false);
            var stored = await services.Get<IRequestStore>().GetAsync(requestId, ct).ConfigureAwait(false);
            if (stored is null)
            {
                await context.Error.WriteLineAsync($"sgbridge requests show: no request {requestId} in table {table}. Fix: check the id (`sgbridge requests list` lists them).").ConfigureAwait(false);
                if (p.GetValue(json))
                {
                    await context.Out.WriteLineAsync(CliJson.Error("requests show", new CliError("not-found", $"no request {requestId} in table {table}.", "check the id (`sgbridge requests list` lists them).", ExitCodes.Failed))).ConfigureAwait(false);
                }
                return ExitCodes.Failed;
            }
            var links = await services.Get<SlackLinkReader>().ReadAsync(stored.Value, ct).ConfigureAwait(false);
            if (p.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Document("requests show", ExitCodes.Success, new { Request = RequestView.Detail(stored.Value, links) }, RequestView.Json)).ConfigureAwait(false);
            }
            else
            {
                RequestView.PrintDetail(stored.Value, context.Out, links);
            }
            return ExitCodes.Success;
        });
        requests.Subcommands.Add(show);
        requests.Subcommands.Add(DecideCommand.Approve(context));
        requests.Subcommands.Add(DecideCommand.Deny(context));
        return requests;
    }

    private static void ConfigureList(Command command, CliContext context)
    {
        var status = new Option<string?>("--status") { Description = $"Only these statuses, comma separated: {string.Join(", ", Enum.GetNames<RequestStatus>())}.", HelpName = "status" };
        var account = new Option<string?>("--account") { Description = "Only this AWS account (12 digits).", HelpName = "id" };
        var requester = new Option<string?>("--requester") { Description = "Only requesters whose ARN, role, user or session name contains this text.", HelpName = "text" };
        var since = new Option<string?>("--since") { Description = "Only requests created since: 30m, 12h, 7d, 2w, or a date (2026-11-01, UTC).", HelpName = "7d|date" };
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document whose \"requests\" field is the array of audit records (the fields of `sgbridge export`)." };
        command.Options.Add(status);
        command.Options.Add(account);
        command.Options.Add(requester);
        command.Options.Add(since);
        command.Options.Add(json);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var filter = new RequestFilter
            {
                Statuses = FilterArguments.Statuses(p.GetValue(status)),
                AccountId = FilterArguments.Account(p.GetValue(account)),
                Requester = p.GetValue(requester),
                CreatedSince = p.GetValue(since) is { } s ? FilterArguments.Since(s, context.Time.GetUtcNow()) : null,
            };
            await using var services = settings.Load(p);
            await CliStorage.RequireTableAsync(services.Get<TableServiceClient>(), services.Get<IOptions<StorageOptions>>().Value.RequestsTable, "Storage__RequestsTable", ct).ConfigureAwait(false);
            var found = await services.Get<RequestQuery>().ListAsync(filter, ct).ConfigureAwait(false);
            if (p.GetValue(json))
            {
                var slack = services.Get<SlackLinkReader>();
                var records = new List<Dictionary<string, string?>>(found.Count);
                foreach (var r in found)
                {
                    records.Add(RequestView.Record(r, await slack.ReadAsync(r, ct).ConfigureAwait(false)));
                }
                await context.Out.WriteLineAsync(CliJson.Document(CliJson.VerbPath(p), ExitCodes.Success, new { Requests = records }, RequestView.Json)).ConfigureAwait(false);
            }
            else
            {
                PrintTable(found, context.Out);
            }
            return ExitCodes.Success;
        });
    }

    private static void PrintTable(IReadOnlyList<ChangeRequest> requests, TextWriter o)
    {
        if (requests.Count == 0)
        {
            o.WriteLine("No requests match.");
            return;
        }
        string[] header = ["ID", "CREATED", "STATUS", "ACCOUNT", "REGION", "GROUP", "EVENT", "REQUESTER"];
        var rows = requests.Select(r => new[]
        {
            r.Id,
            RequestView.Time(r.CreatedAt)!,
            r.Status.ToString(),
            r.AccountId,
            r.Region,
            r.GroupId ?? r.GroupName ?? "-",
            r.EventName,
            r.Requester.DisplayName,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(row => row[i].Length))).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            o.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        }
        o.WriteLine();
        o.WriteLine(requests.Count == 1 ? "1 request." : $"{requests.Count} requests.");
    }

    /// <summary>SG-XXXXXXXX as given (any case), or the request id derived from a CloudTrail event id.</summary>
    internal static string ToRequestId(string text)
    {
        var value = text.Trim();
        if (RequestId.IsWellFormed(value.ToUpperInvariant()))
        {
            return value.ToUpperInvariant();
        }
        if (!Guid.TryParse(value, out _))
        {
            throw new CliUsageException($"'{text}' is not a request id (SG- and 4-20 of 0-9 A-Z without I, L, O, U) nor a CloudTrail event id (a UUID).");
        }
        return RequestId.For(value);
    }
}
