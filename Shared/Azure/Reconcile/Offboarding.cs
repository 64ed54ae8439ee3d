using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>What offboarding an account found (and, unless it was a dry run, removed).</summary>
public sealed record OffboardReport(string AccountId, int ApprovedStates, int OtherGroupRows, int Expiries, int BaselineResults, bool WasKnown, bool Listed);

/// <summary>
/// <c>sgbridge offboard</c>: forgets an account's approved states and leases, pending access expiries, onboarding
/// results and known-account row. The allow-list is the deployment's: <see cref="OffboardReport.Listed"/> says whether it still names the
/// account.
/// </summary>
public sealed class Offboarding(
    TableServiceClient tables,
    IOptions<StorageOptions> storage,
    IKnownAccountStore accounts,
    IAccessExpiryIndex expiries,
    IOptions<PolicyOptions> policy)
{
    public async Task<OffboardReport> RunAsync(string accountId, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var table = new EnsuredTable(tables, storage.Value.GroupsTable);

        // Partitions "{account}-{region}": every one of them sorts between "{account}-" and "{account}." ('.' follows '-').
        var groups = await RemoveAsync($"PartitionKey ge {accountId + "-"} and PartitionKey lt {accountId + "."}", "Kind").ConfigureAwait(false);
        var approved = groups.Count(row => row.GetString("Kind") == "approved");
        var results = await RemoveAsync(
            $"PartitionKey eq {BaselineResults.Partition} and RowKey ge {accountId + "|"} and RowKey lt {accountId + "}"}").ConfigureAwait(false);

        var ending = await expiries.ListAllAsync(cancellationToken).Where(e => e.AccountId == accountId).ToListAsync(cancellationToken)
            .ConfigureAwait(false);
        foreach (var entry in dryRun ? [] : ending)
        {
            await expiries.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        var known = dryRun
            ? await accounts.GetAsync(accountId, cancellationToken).ConfigureAwait(false) is not null
            : await accounts.ForgetAsync(accountId, cancellationToken).ConfigureAwait(false);
        var listed = !policy.Value.AllowsEveryAccount && policy.Value.AllowsAccount(accountId);
        return new OffboardReport(accountId, approved, groups.Count - approved, ending.Count, results.Count, known, listed);

        // The rows the filter selects, deleted unless this is a dry run.
        async Task<List<TableEntity>> RemoveAsync(FormattableString filter, params string[] columns)
        {
            var rows = await table.QueryAsync(TableClient.CreateQueryFilter(filter), ["PartitionKey", "RowKey", .. columns],
                cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in dryRun ? [] : rows)
            {
                await table.Client.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
            }
            return rows;
        }
    }
}
