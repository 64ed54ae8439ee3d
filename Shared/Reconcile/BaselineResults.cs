using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The stored outcome of onboarding one account and region, read back by the CLI after an enqueued baseline.
/// <paramref name="Skipped"/>: why it did not run (e.g. "role not deployed"); then the counts are zero.
/// <paramref name="RiskyRules"/>: one line per risky rule accepted, at most <see cref="BaselineResults.MaxRiskyLines"/>.
/// </summary>
public sealed record BaselineResult(string AccountId, string Region, DateTimeOffset At, int Groups, int Recorded, int LeftAlone, int Rules,
    int RiskyCount, IReadOnlyList<string> RiskyRules, string? Skipped)
{
    public static BaselineResult From(BaselineSummary s, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.AccountId, s.Region, at, s.Groups, s.Recorded, s.LeftAlone, s.Rules, s.Risky.Count,
            s.Risky.Take(BaselineResults.MaxRiskyLines).Select(Line).ToArray(), null);
    }

    public static BaselineResult SkippedFor(string accountId, string region, string reason, DateTimeOffset at) =>
        new(accountId, region, at, 0, 0, 0, 0, 0, [], reason);

    public static string Line(RiskyRule r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return $"{r.GroupId} ({r.GroupName}): {r.Rule.Describe()} — {r.Risk}";
    }

    /// <summary>One line for people (CLI and monitoring).</summary>
    public string Describe() => Skipped is { } why
        ? $"{AccountId} {Region}: skipped ({why})"
        : $"{AccountId} {Region}: {Groups} group(s), {Recorded} recorded ({Rules} rules), {LeftAlone} already had an approved state, {RiskyCount} risky rule(s) accepted";
}

/// <summary>Onboarding outcomes, one row per account and region (the last run wins).</summary>
public interface IBaselineResultStore
{
    Task RecordAsync(BaselineResult result, CancellationToken cancellationToken);

    /// <summary>Every stored outcome, by account and region (one single-partition query).</summary>
    Task<IReadOnlyList<BaselineResult>> ListAsync(CancellationToken cancellationToken);
}

/// <summary><see cref="IBaselineResultStore"/> in the groups table, partition <see cref="Partition"/>, RowKey "{account}|{region}".</summary>
public sealed class BaselineResults : IBaselineResultStore
{
    public const string Partition = "~baseline";

    /// <summary>Risky rules kept per row (a Table property holds 32K characters; the count is always exact).</summary>
    public const int MaxRiskyLines = 100;

    private readonly EnsuredTable _table;

    public BaselineResults(TableServiceClient service, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new EnsuredTable(service, options.Value.GroupsTable);
    }

    public async Task RecordAsync(BaselineResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var risky = Truncate(string.Join('\n', result.RiskyRules), 30_000);
        var entity = new TableEntity(Partition, $"{result.AccountId}|{result.Region}")
        {
            ["AccountId"] = result.AccountId,
            ["Region"] = result.Region,
            ["At"] = result.At,
            ["Groups"] = result.Groups,
            ["Recorded"] = result.Recorded,
            ["LeftAlone"] = result.LeftAlone,
            ["Rules"] = result.Rules,
            ["RiskyCount"] = result.RiskyCount,
            ["RiskyRules"] = risky,
            ["Skipped"] = result.Skipped,
        };
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BaselineResult>> ListAsync(CancellationToken cancellationToken)
    {
        // Reads never create the table (the operator's Storage Table Data Reader could not).
        var list = new List<BaselineResult>();
        try
        {
            await ReadAsync(list, cancellationToken).ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException ex) when (EnsuredTable.IsTableNotFound(ex))
        {
            return [];
        }
        return list;
    }

    private async Task ReadAsync(List<BaselineResult> list, CancellationToken cancellationToken)
    {
        await foreach (var e in _table.Client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(new BaselineResult(
                e.GetString("AccountId") ?? "",
                e.GetString("Region") ?? "",
                e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
                e.GetInt32("Groups") ?? 0,
                e.GetInt32("Recorded") ?? 0,
                e.GetInt32("LeftAlone") ?? 0,
                e.GetInt32("Rules") ?? 0,
                e.GetInt32("RiskyCount") ?? 0,
                (e.GetString("RiskyRules") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries),
                e.GetString("Skipped")));
        }
    }

    private static string Truncate(string s, int max) =>
        s.Length <= max ? s : string.Concat(s.AsSpan(0, max), "\n…");

    /// <summary>Text for the monitoring channel.</summary>
    public static string MonitoringText(BaselineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $":clipboard: Onboarding (baseline) {Slack.SlackText.Escape(result.Describe())}.");
        if (result.RiskyCount > 0)
        {
            sb.Append("\nAccepted as approved, review them (`sgbridge accounts`):");
            foreach (var line in result.RiskyRules.Take(20))
            {
                sb.Append("\n• ").Append(Slack.SlackText.Escape(line));
            }
            if (result.RiskyCount > 20)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\n… and {result.RiskyCount - 20} more.");
            }
        }
        return sb.ToString();
    }
}
