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
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {accountId + "-"} and PartitionKey lt {accountId + "."}");
        int approved = 0, other = 0;
        await foreach (var row in table.QueryAsync(filter, ["PartitionKey", "RowKey", "Kind"], cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            if (row.GetString("Kind") == "approved")
            {
                approved++;
            }
            else
            {
                other++;
            }
            if (!dryRun)
            {
                await table.Client.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
            }
        }

        var results = 0;
        var resultFilter = TableClient.CreateQueryFilter($"PartitionKey eq {BaselineResults.Partition} and RowKey ge {accountId + "|"} and RowKey lt {accountId + "}"}");
        await foreach (var row in table.QueryAsync(resultFilter, ["PartitionKey", "RowKey"], cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            results++;
            if (!dryRun)
            {
                await table.Client.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
            }
        }

        var ending = new List<AccessExpiryEntry>();
        await foreach (var entry in expiries.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (entry.AccountId == accountId)
            {
                ending.Add(entry);
            }
        }
        if (!dryRun)
        {
            foreach (var entry in ending)
            {
                await expiries.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        var known = dryRun
            ? await accounts.GetAsync(accountId, cancellationToken).ConfigureAwait(false) is not null
            : await accounts.ForgetAsync(accountId, cancellationToken).ConfigureAwait(false);
        var listed = !policy.Value.AllowsEveryAccount && policy.Value.AllowsAccount(accountId);
        return new OffboardReport(accountId, approved, other, ending.Count, results, known, listed);
    }
}
