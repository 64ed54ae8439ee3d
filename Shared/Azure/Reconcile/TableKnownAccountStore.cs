using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// <see cref="IKnownAccountStore"/> in the groups table, partition <see cref="Partition"/> (approved states' partitions
/// start with digits, so the two never meet). Accounts noted within the hour are remembered, so an approved-state
/// write usually costs no extra call.
/// </summary>
public sealed class TableKnownAccountStore(TableServiceClient service, IOptions<StorageOptions> options) : IKnownAccountStore
{
    public const string Partition = "~accounts";
    private static readonly TimeSpan NotedFor = TimeSpan.FromHours(1);

    private readonly EnsuredTable _table = new(service, options.Value.GroupsTable);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _noted = new(StringComparer.Ordinal);

    public async Task NoteAsync(string accountId, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        if (_noted.TryGetValue(accountId, out var at) && now - at < NotedFor)
        {
            return;
        }
        try
        {
            var entity = new TableEntity(Partition, accountId) { ["FirstSeen"] = now, ["Source"] = source };
            await _table.RunAsync((t, c) => t.AddEntityAsync(entity, c), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            // Known already.
        }
        _noted[accountId] = now;
    }

    // Reads never create the table: the operator's role (Storage Table Data Reader) could not, and none is needed.
    public async Task<IReadOnlyList<KnownAccount>> ListAsync(CancellationToken cancellationToken) =>
        await _table.PartitionAsync(Partition, cancellationToken).Select(ToAccount).ToListAsync(cancellationToken).ConfigureAwait(false);

    public async Task<KnownAccount?> GetAsync(string accountId, CancellationToken cancellationToken) =>
        await _table.GetAsync(Partition, accountId, cancellationToken).ConfigureAwait(false) is { } row ? ToAccount(row) : null;

    public async Task<bool> RecordSkipAsync(string accountId, string region, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var firstToday = false;
        var result = await ConditionalUpdate.ApplyAsync<TableEntity>(
            async ct => await _table.GetAsync(Partition, accountId, ct).ConfigureAwait(false) is { } row
                ? new Stored<TableEntity>(row, row.ETag.ToString())
                : null,
            // Another region's sweep writing first is a conflict: the change runs again on its row.
            (entity, etag, ct) => _table.WriteConditionalAsync(entity, etag, $"Account {accountId}'s row was written by another sweep.", ct),
            row =>
            {
                var skip = row is null ? null : ToAccount(row).Skip;
                firstToday = skip?.WarnedOn != today;
                var regions = (skip?.Regions ?? []).Append(region).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                if (!firstToday && skip!.Regions.Contains(region, StringComparer.Ordinal) && skip.Reason == reason
                    && now - skip.LastSeen < TimeSpan.FromHours(1))
                {
                    return null; // warned today, and recorded within the hour: nothing new to write
                }
                var entity = row ?? new TableEntity(Partition, accountId) { ["FirstSeen"] = now, ["Source"] = "skipped" };
                entity["SkipReason"] = reason;
                entity["SkippedSince"] = skip?.Since ?? now;
                entity["SkippedLast"] = now;
                entity["SkippedRegions"] = string.Join(',', regions);
                entity["WarnedOn"] = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                return entity;
            },
            cancellationToken).ConfigureAwait(false);
        return result.Written && firstToday;
    }

    public async Task ClearSkipAsync(string accountId, CancellationToken cancellationToken)
    {
        var row = await _table.GetAsync(Partition, accountId, cancellationToken).ConfigureAwait(false);
        if (row is null || !row.ContainsKey("SkipReason"))
        {
            return;
        }
        var cleared = new TableEntity(Partition, accountId) { ["FirstSeen"] = row.GetDateTimeOffset("FirstSeen"), ["Source"] = row.GetString("Source") };
        try
        {
            await _table.Client.UpdateEntityAsync(cleared, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            // A skip recorded meanwhile (another region) or the account was offboarded: the newer write stands.
        }
    }

    public async Task<bool> ForgetAsync(string accountId, CancellationToken cancellationToken)
    {
        _noted.TryRemove(accountId, out _);
        // The Tables client answers a delete of a missing entity with its 404 response instead of throwing.
        var response = await _table.RunAsync((t, c) => t.DeleteEntityAsync(Partition, accountId, ETag.All, c), cancellationToken)
            .ConfigureAwait(false);
        return response.Status != (int)HttpStatusCode.NotFound;
    }

    private static KnownAccount ToAccount(TableEntity e) =>
        new(e.RowKey, e.GetDateTimeOffset("FirstSeen") ?? DateTimeOffset.MinValue, e.GetString("Source") ?? "", e.GetString("SkipReason") is { } reason
            ? new AccountSkip(
                reason,
                e.GetDateTimeOffset("SkippedSince") ?? DateTimeOffset.MinValue,
                e.GetDateTimeOffset("SkippedLast") ?? DateTimeOffset.MinValue,
                SettingList.Parse(e.GetString("SkippedRegions") ?? ""),
                DateOnly.TryParseExact(e.GetString("WarnedOn"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : DateOnly.MinValue)
            : null);
}
