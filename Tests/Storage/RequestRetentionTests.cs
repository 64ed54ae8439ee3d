using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Storage;

/// <summary>Storage:Retention on Azurite: old final requests leave with their Slack rows; new and non-final ones stay; a crash loses nothing.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RequestRetentionTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Old = Now - TimeSpan.FromDays(401);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly StorageOptions _options = new()
    {
        ConnectionString = azurite.ConnectionString,
        RequestsTable = azurite.UniqueTableName("req"),
        SlackTable = azurite.UniqueTableName("slack"),
    };

    private TableRequestStore Requests() => new(azurite.CreateTableServiceClient(), O.Create(_options));

    private TableSlackThreadStore Threads() => new(azurite.CreateTableServiceClient(), O.Create(_options));

    private RequestRetention Retention(TableServiceClient? service = null) =>
        new(service ?? azurite.CreateTableServiceClient(), O.Create(_options), _time, NullLogger<RequestRetention>.Instance);

    /// <summary>A request created and last changed at <paramref name="at"/>, moved to <paramref name="status"/>.</summary>
    private async Task<ChangeRequest> StoredAsync(string id, RequestStatus status, DateTimeOffset at, TimeSpan? approvedFor = null, string group = "sg-1")
    {
        var r = ChangeRequest.Open(id, TestData.Change(ChangeKind.Add, eventId: "evt-" + id) with { GroupId = group }, at);
        r.MarkReverted(new CallOutcome("revoke", true), at);
        switch (status)
        {
            case RequestStatus.Denied: r.Deny("UA", null, at); break;
            case RequestStatus.Expired: r.Expire(at); break;
            case RequestStatus.Applied: r.Approve("UA", null, at, approvedFor); r.MarkApplied(new CallOutcome("authorize", true), at); break;
            case RequestStatus.AccessEnded:
                r.Approve("UA", null, at, approvedFor);
                r.MarkApplied(new CallOutcome("authorize", true), at);
                r.EndAccess(AccessEndReason.Expired, null, at);
                break;
        }
        await Requests().AddOrGetAsync(r, default);
        return r;
    }

    /// <summary>The Slack rows the notifier writes for a batch: thread, memberships, votes, and the key's pointer.</summary>
    private async Task ShownAsync(params ChangeRequest[] batch)
    {
        var store = Threads();
        var home = SlackRows.HomeOf(batch[0]);
        var lead = batch[0].Id;
        await store.WriteAsync(SlackRows.Thread(home, lead), SlackThread.Start(home, lead, SlackRows.BatchKey(batch[0]), Old) with { MemberIds = batch.Select(r => r.Id).ToArray(), ApproverMessage = new SlackMessageRef("C", "1.1") }, null, default);
        foreach (var r in batch)
        {
            await store.WriteAsync(SlackRows.Member(home, r.Id), new ThreadMembership(lead), null, default);
            await store.WriteAsync(SlackRows.Votes(r.Id, all: false), new ApprovalVotes(["UA"]), null, default);
        }
        await store.WriteAsync(SlackRows.Open(batch[0]), new OpenBatch(lead, Old), null, default);
    }

    private async Task<bool> GoneAsync(ChangeRequest r) =>
        await Requests().GetAsync(r.Id, default) is null
        && await Threads().GetAsync(SlackRows.Member(SlackRows.HomeOf(r), r.Id), default) is null
        && await Threads().GetAsync(SlackRows.Thread(SlackRows.HomeOf(r), r.Id), default) is null
        && await Threads().GetAsync(SlackRows.Votes(r.Id, all: false), default) is null;

    [Fact]
    public async Task Purge_DeletesOldFinalRequestsWithTheirSlackRows_AndKeepsNewAndNonFinalOnes()
    {
        var oldApplied = await StoredAsync("SG-RET00001", RequestStatus.Applied, Old, group: "sg-1");
        var oldMember = await StoredAsync("SG-RET00002", RequestStatus.Expired, Old, group: "sg-1");
        await ShownAsync(oldApplied, oldMember);
        var newApplied = await StoredAsync("SG-RET00003", RequestStatus.Applied, Now - TimeSpan.FromDays(399), group: "sg-3");
        await ShownAsync(newApplied);
        var oldPending = await StoredAsync("SG-RET00004", RequestStatus.Pending, Old, group: "sg-4");
        await ShownAsync(oldPending);
        // An old decided lead whose batch still shows a pending request waits for it (its buttons are checked against the thread).
        var oldLead = await StoredAsync("SG-RET00005", RequestStatus.Denied, Old, group: "sg-5");
        var pendingMember = await StoredAsync("SG-RET00006", RequestStatus.Pending, Old, group: "sg-5");
        await ShownAsync(oldLead, pendingMember);

        Assert.Equal(2, await Retention().PurgeAsync(default));

        Assert.True(await GoneAsync(oldApplied));
        Assert.True(await GoneAsync(oldMember));
        Assert.Null(await Threads().GetAsync(SlackRows.Open(oldApplied), default));
        foreach (var kept in new[] { newApplied, oldPending, oldLead, pendingMember })
        {
            Assert.NotNull(await Requests().GetAsync(kept.Id, default));
            Assert.NotNull(await Threads().GetAsync(SlackRows.Member(SlackRows.HomeOf(kept), kept.Id), default));
        }
        Assert.NotNull(await Threads().GetAsync(SlackRows.Thread(SlackRows.HomeOf(oldLead), oldLead.Id), default));
        Assert.NotNull(await Threads().GetAsync(SlackRows.Open(newApplied), default));

        // Nothing more is due: a second run deletes nothing.
        Assert.Equal(0, await Retention().PurgeAsync(default));
    }

    [Fact]
    public async Task Purge_TimeBoundAccess_GoesOnceItHasEnded_NeverWhileItIsLive()
    {
        var ended = await StoredAsync("SG-RET00021", RequestStatus.AccessEnded, Old, TimeSpan.FromHours(1));
        var longEnded = await StoredAsync("SG-RET00022", RequestStatus.Applied, Old, TimeSpan.FromDays(366)); // approved 401 days ago for 366: over 35 days ago
        var stillLive = await StoredAsync("SG-RET00023", RequestStatus.Applied, Now - TimeSpan.FromDays(2), TimeSpan.FromDays(7));
        _options.Retention = TimeSpan.FromDays(1);

        await Retention().PurgeAsync(default);

        Assert.True(await GoneAsync(ended));
        Assert.True(await GoneAsync(longEnded));
        Assert.NotNull(await Requests().GetAsync(stillLive.Id, default)); // final and older than the retention, but its access runs 5 more days
    }

    [Fact]
    public async Task Purge_ExactlyAtTheRetention_KeepsTheRequest_OneTickOlderGoes()
    {
        var atEdge = await StoredAsync("SG-RET00011", RequestStatus.Applied, Now - _options.Retention);
        var past = await StoredAsync("SG-RET00012", RequestStatus.Applied, Now - _options.Retention - TimeSpan.FromSeconds(1));

        Assert.Equal(1, await Retention().PurgeAsync(default));

        Assert.NotNull(await Requests().GetAsync(atEdge.Id, default));
        Assert.Null(await Requests().GetAsync(past.Id, default));
    }

    [Fact]
    public async Task Purge_CrashBeforeTheRequestRowIsDeleted_LosesNothing_AndTheNextRunFinishes()
    {
        var old = await StoredAsync("SG-RET00021", RequestStatus.Denied, Old);
        await ShownAsync(old);
        var options = new TableClientOptions();
        options.AddPolicy(new FailRequestRowDelete(), HttpPipelinePosition.PerRetry);

        await Assert.ThrowsAsync<RequestFailedException>(() => Retention(new TableServiceClient(azurite.ConnectionString, options)).PurgeAsync(default));

        // The Slack rows went first; the request (what the next run starts from) is still there.
        Assert.NotNull(await Requests().GetAsync(old.Id, default));
        Assert.Null(await Threads().GetAsync(SlackRows.Member(SlackRows.HomeOf(old), old.Id), default));

        Assert.Equal(1, await Retention().PurgeAsync(default));
        Assert.True(await GoneAsync(old));
    }

    [Fact]
    public async Task Purge_OnTablesNotCreatedYet_DeletesNothing()
    {
        Assert.Equal(0, await Retention().PurgeAsync(default));
    }

    /// <summary>Table Storage failing the request row's delete (the process dies there): the transaction that deletes it with its index rows.</summary>
    private sealed class FailRequestRowDelete : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            DeletesARequestRow(message)
                ? throw new RequestFailedException(503, "injected: the process died before deleting the request row")
                : ProcessNextAsync(message, pipeline);

        private static bool DeletesARequestRow(HttpMessage message)
        {
            var uri = message.Request.Uri.ToString();
            if (message.Request.Method == RequestMethod.Delete)
            {
                return uri.Contains("PartitionKey='requests-", StringComparison.Ordinal) && uri.Contains("RowKey='SG-", StringComparison.Ordinal);
            }
            if (message.Request.Method != RequestMethod.Post || !uri.Contains("$batch", StringComparison.Ordinal) || message.Request.Content is null)
            {
                return false;
            }
            using var body = new MemoryStream();
            message.Request.Content.WriteTo(body, default);
            var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
            return text.Contains("DELETE ", StringComparison.Ordinal) && text.Contains("PartitionKey='requests-", StringComparison.Ordinal) && text.Contains("RowKey='SG-", StringComparison.Ordinal);
        }
    }
}
