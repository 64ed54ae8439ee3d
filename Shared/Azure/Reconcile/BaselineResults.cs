using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary><see cref="IBaselineResultStore"/> in the groups table, partition <see cref="Partition"/>, RowKey "{account}|{region}".</summary>
public sealed class BaselineResults(TableServiceClient service, IOptions<StorageOptions> options) : IBaselineResultStore
{
    public const string Partition = "~baseline";

    private readonly EnsuredTable _table = new(service, options.Value.GroupsTable);

    public async Task RecordAsync(BaselineResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        // Risky rules kept per row: a Table property holds 32K characters (the count is always exact).
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
        await _table.UpsertAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BaselineResult>> ListAsync(CancellationToken cancellationToken)
    {
        // Reads never create the table (the operator's Storage Table Data Reader could not).
        return await _table.PartitionAsync(Partition, cancellationToken).Select(e => new BaselineResult(
                e.GetString("AccountId") ?? "",
                e.GetString("Region") ?? "",
                e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
                e.GetInt32("Groups") ?? 0,
                e.GetInt32("Recorded") ?? 0,
                e.GetInt32("LeftAlone") ?? 0,
                e.GetInt32("Rules") ?? 0,
                e.GetInt32("RiskyCount") ?? 0,
                (e.GetString("RiskyRules") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries),
                e.GetString("Skipped")))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Truncate(string s, int max) =>
        s.Length <= max ? s : string.Concat(s.AsSpan(0, max), "\n…");
}
