using System.CommandLine;
using System.Text.Json;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge export</c>: the audit trail for an auditor, one record per request created since a date, oldest first,
/// as JSON Lines or CSV (RFC 4180). Reads only Table Storage; writes only the output.
/// </summary>
public sealed class ExportCommand : ICliVerb
{
    private const string Description = """
        Exports the audit trail: one record per request created since the date, oldest first, with the request id,
        event id, name and time, account, region, group, requester (name and ARN), the change, status, the revert's
        outcome, who decided and when, and the apply's outcome. JSON Lines (default) or CSV (RFC 4180, a header row,
        CRLF; fields a spreadsheet would run as formulas get a leading apostrophe). Needs the Storage settings only.
        Exit code: 0 written (also when no request matches), 1 bad arguments, 3 settings invalid, storage unreachable or the file cannot be written.

        Examples:
          sgbridge export --since 2026-10-01 --format csv --output audit-2026-q4.csv --settings FunctionApp/local.settings.json
          sgbridge export --since 30d > audit.jsonl
        """;

    public Command Create(CliContext context)
    {
        var since = new Option<string>("--since") { Description = "Requests created since: a date (2026-10-01, UTC) or 30m, 12h, 7d, 2w.", HelpName = "date", Required = true };
        var format = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<string?>("--output") { Description = "Write to this file (default: standard output).", HelpName = "file" };
        var command = new VerbCommand("export", "Exports the audit trail since a date: one record per request, JSON Lines or CSV.", Description) { since, format, output };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var filter = new RequestFilter { CreatedSince = FilterArguments.Since(p.GetRequiredValue(since), context.Time.GetUtcNow()) };
            var path = p.GetValue(output);
            await using var services = settings.Load(p);
            await CliStorage.RequireTableAsync(services.Get<TableServiceClient>(), services.Get<IOptions<StorageOptions>>().Value.RequestsTable, "Storage__RequestsTable", ct).ConfigureAwait(false);
            var requests = (await services.Get<RequestQuery>().ListAsync(filter, ct).ConfigureAwait(false))
                .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToArray();
            var slack = services.Get<SlackLinkReader>();
            var rows = new List<(ChangeRequest, SlackLinks)>(requests.Length);
            foreach (var r in requests)
            {
                rows.Add((r, await slack.ReadAsync(r, ct).ConfigureAwait(false)));
            }
            var text = p.GetRequiredValue(format) == "csv" ? Csv(rows) : JsonLines(rows);
            if (path is null)
            {
                await context.Out.WriteAsync(text).ConfigureAwait(false);
                await context.Error.WriteLineAsync($"{requests.Length} request(s) since {RequestView.Time(filter.CreatedSince)}.").ConfigureAwait(false);
            }
            else
            {
                // Written beside the target and moved over it: an interrupted export leaves no half file.
                var full = Path.GetFullPath(path);
                var temporary = full + ".partial";
                await File.WriteAllTextAsync(temporary, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct).ConfigureAwait(false);
                File.Move(temporary, full, overwrite: true);
                await context.Out.WriteLineAsync($"Exported {requests.Length} request(s) since {RequestView.Time(filter.CreatedSince)} to {path}.").ConfigureAwait(false);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    internal static string Csv(IEnumerable<(ChangeRequest Request, SlackLinks Slack)> rows)
    {
        var sb = new StringBuilder(CsvWriter.Record(RequestView.ColumnNames));
        foreach (var (r, slack) in rows)
        {
            sb.Append(CsvWriter.Record(RequestView.Values(r, slack)));
        }
        return sb.ToString();
    }

    internal static string JsonLines(IEnumerable<(ChangeRequest Request, SlackLinks Slack)> rows)
    {
        var sb = new StringBuilder();
        foreach (var (r, slack) in rows)
        {
            sb.Append(JsonSerializer.Serialize(RequestView.Record(r, slack), RequestView.JsonLine)).Append('\n');
        }
        return sb.ToString();
    }
}
