using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Deletes final requests unchanged for longer than <see cref="StorageOptions.Retention"/>, with their Slack rows.
/// Every write is a point delete or a one-partition transaction, ordered so a crash between any two leaves the
/// request row for the next run: its Slack rows, the open-batch pointer if it still names its batch, then the request
/// and its index rows (with the ETag it was read at). A batch lead waits until every request its thread shows is due
/// (their buttons are checked against it). Candidates come from the final index, so a run costs what is due, not the history.
/// </summary>
public sealed partial class RequestRetention(TableServiceClient service, IOptions<StorageOptions> options, TimeProvider time, ILogger<RequestRetention> logger)
{
    private readonly EnsuredTable _requests = new(service, options.Value.RequestsTable);
    private readonly EnsuredTable _slack = new(service, options.Value.SlackTable);
    private readonly ISlackThreadStore _threads = new TableSlackThreadStore(service, options);

    /// <summary>Deletes every final request last changed before now − retention; returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Retention;
        var due = new Dictionary<string, (ChangeRequest Request, string ETag)>(StringComparer.Ordinal);
        await foreach (var (request, etag) in DueAsync(cutoff, cancellationToken))
        {
            due[request.Id] = (request, etag);
        }
        var purged = 0;
        foreach (var (request, etag) in due.Values)
        {
            purged += await PurgeAsync(request, etag, cutoff, due, cancellationToken) ? 1 : 0;
        }
        if (purged > 0)
        {
            LogPurged(logger, purged, cutoff);
        }
        return purged;
    }

    /// <summary>
    /// The final requests last changed before <paramref name="cutoff"/>: one RowKey range of the final index per
    /// requests partition, then a point read of each (checked again here).
    /// </summary>
    private async IAsyncEnumerable<(ChangeRequest Request, string ETag)> DueAsync(DateTimeOffset cutoff, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var entries = TableRequestStore.ListTimedAsync(_requests, TableRequestStore.FinalPrefix, cutoff, MaxPerRun, cancellationToken);
        await foreach (var entry in entries.ConfigureAwait(false))
        {
            if (await ReadAsync(entry.RequestId, cancellationToken).ConfigureAwait(false) is { } read && IsDue(read.Request, cutoff))
            {
                yield return read;
            }
        }
    }

    private async Task<(ChangeRequest Request, string ETag)?> ReadAsync(string requestId, CancellationToken cancellationToken) =>
        await _requests.GetAsync(TableRequestStore.PartitionOf(requestId), requestId, cancellationToken).ConfigureAwait(false) is { } row
            ? (BridgeJson.Deserialize<ChangeRequest>(TableJson.Read(row)), row.ETag.ToString())
            : null;

    /// <summary>At most this many requests are read per run (a daily run; the next takes the rest).</summary>
    public const int MaxPerRun = 50_000;

    /// <summary>Final and unchanged since the cutoff; an Applied request whose access runs past now is kept (its expiry still tells
    /// people).</summary>
    private bool IsDue(ChangeRequest request, DateTimeOffset cutoff) =>
        request.IsFinal && request.UpdatedAt < cutoff && !(request.Status == RequestStatus.Applied && request.AccessUntil > time.GetUtcNow());

    private async Task<bool> PurgeAsync(ChangeRequest request, string etag, DateTimeOffset cutoff, IReadOnlyDictionary<string, (ChangeRequest Request, string ETag)> due, CancellationToken ct)
    {
        var thread = await _threads.FindLedBatchAsync(request, ct);
        if (thread is not null)
        {
            foreach (var member in thread.Value.MemberIds.Where(m => m != request.Id && !due.ContainsKey(m)))
            {
                // A member that is still stored and not due keeps the batch's thread (and so its lead) for now.
                if (await ReadAsync(member, ct) is { } stored && !IsDue(stored.Request, cutoff))
                {
                    LogLeadKept(logger, request.Id, member);
                    return false;
                }
            }
        }

        // 1. The request's Slack rows, all in its own partition: one transaction.
        var slackRows = await _slack.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {request.Id}"), ["PartitionKey", "RowKey"], cancellationToken: ct)
            .Select(row => new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All)).ToListAsync(ct).ConfigureAwait(false);
        foreach (var chunk in slackRows.Chunk(100))
        {
            await _slack.Client.SubmitTransactionAsync(chunk, ct).ConfigureAwait(false);
        }
        // ... and its rows in the home partition of its group and requester (point deletes; absent rows are fine).
        var home = SlackRows.HomeOf(request);
        foreach (var row in new[] { SlackRows.Member(home, request.Id).Row, SlackRows.Thread(home, request.Id).Row })
        {
            await _slack.Client.DeleteEntityAsync(home, row, ETag.All, ct).ConfigureAwait(false);
        }

        // 2. The key's open-batch pointer, if it still names this batch (a later batch has replaced it otherwise).
        if (thread is not null)
        {
            var open = SlackRows.Open(request);
            if (await _threads.GetAsync(open, ct) is { } pointer && pointer.Value.LeadId == request.Id)
            {
                try
                {
                    await _slack.Client.DeleteEntityAsync(open.Partition, open.Row, new ETag(pointer.ETag), ct).ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (ex.Status == 412)
                {
                    // Replaced by a later batch since it was read: that pointer stays.
                }
            }
        }

        // 3. The request with its index rows, last, in one transaction, only as it was read. An effect still pending
        //    after the retention kept failing that long: it is given up (logged).
        if (request.Effects.Count > 0)
        {
            LogEffectsDropped(logger, request.Id, string.Join(",", request.Effects.Select(e => e.Kind)));
        }
        var partition = TableRequestStore.PartitionOf(request.Id);
        var deletes = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, new TableEntity(partition, request.Id), new ETag(etag)) };
        if (request.IndexAsStored.EffectsDueSince is not null)
        {
            deletes.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, TableRequestStore.DueRow(request.Id)), ETag.All));
        }
        if (request.IndexAsStored.FinalSince is { } since)
        {
            deletes.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, TableRequestStore.TimedRow(TableRequestStore.FinalPrefix, since, request.Id)), ETag.All));
        }
        try
        {
            await _requests.Client.SubmitTransactionAsync(deletes, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false; // changed since read (it waits for the next run), or deleted by another run
        }
    }

    [LoggerMessage(5801, LogLevel.Information, "Retention: deleted {Count} final requests last changed before {Cutoff} (and their Slack rows)")]
    private static partial void LogPurged(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(803, LogLevel.Warning, "Retention: request {RequestId} is deleted with effects still pending ({Effects}): they kept failing for longer than the retention")]
    private static partial void LogEffectsDropped(ILogger logger, string requestId, string effects);

    [LoggerMessage(802, LogLevel.Information, "Retention: keeping batch lead {RequestId} while request {MemberId} in its message is not due")]
    private static partial void LogLeadKept(ILogger logger, string requestId, string memberId);
}
