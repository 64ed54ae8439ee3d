using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The home partition (docs/notification-partition-design.md): a batch's pointer, thread and memberships share the
/// partition of their group and requester, so a start and a join are one transaction each. Races on it (joiners at
/// once, a full batch, a crash between the transaction and the post).
/// </summary>
public class NotificationHomePartitionTests : NotificationRig
{
    private static readonly DateTimeOffset T = new(2026, 11, 30, 4, 0, 0, TimeSpan.Zero);

    public NotificationHomePartitionTests()
        : base(T)
    {
    }

    private async Task<ChangeRequest> StoredAsync(string id) => (await Rig.Requests.GetAsync(id, default))!.Value;

    private IEnumerable<(string Partition, string Row)> HomeRows => Rig.Threads.Keys.Where(k => k.Partition.StartsWith("home-", StringComparison.Ordinal));

    [Fact]
    public void HomeOf_IsTheSameForEveryKindAndState_OfOneGroupAndRequester_AndDiffersForAnotherGroup()
    {
        var change = TestData.Change(ChangeKind.Add, eventId: "evt-1");
        var pending = ChangeRequest.Open("SG-HOME0001", change, T);
        pending.MarkReverted(new CallOutcome("revoke", true), T);
        var home = SlackRows.HomeOf(pending);
        pending.Deny("UA", null, T);
        var other = ChangeRequest.Open("SG-HOME0002", change with { GroupId = "sg-0ffffffffffffffff" }, T);

        Assert.StartsWith("home-", home, StringComparison.Ordinal);
        Assert.Equal(45, home.Length);
        Assert.Equal(home, SlackRows.HomeOf(pending)); // decided: same partition
        Assert.NotEqual(home, SlackRows.HomeOf(other));
        Assert.Equal("open-policed", SlackRows.Open(pending).Row);
    }

    [Fact]
    public async Task TwoJoinersAtOnce_OneRetriesAfterTheBatchMoved_BothEndInTheBatch_WithNoStrayRows()
    {
        var first = await PendingAsync(22);
        await NotifyAsync(Carrying(first));
        var second = await PendingAsync(23);
        var third = await PendingAsync(24);
        // Second has read the pointer and the batch; just before its transaction, third joins (the batch's ETag moves).
        Rig.Threads.BeforeTransaction = () => NotifyAsync(Carrying(third));

        await NotifyAsync(Carrying(second));

        Assert.Equal([first.Id, third.Id, second.Id], Rig.Threads.Thread(first.Id)!.MemberIds);
        Assert.Equal((first.Id, first.Id), (Rig.Threads.Membership(second.Id)!.LeadId, Rig.Threads.Membership(third.Id)!.LeadId));
        var home = SlackRows.HomeOf(first);
        Assert.Equal(
            new[] { (home, "member-" + first.Id), (home, "member-" + second.Id), (home, "member-" + third.Id), (home, "open-policed"), (home, "thread-" + first.Id) }.Order(),
            Rig.Threads.Keys.Order());
    }

    [Fact]
    public async Task FullBatch_StartsANewOne_ThePointerReplacedWithItsETag()
    {
        var requests = new List<ChangeRequest>();
        for (var i = 0; i < 4; i++)
        {
            requests.Add(await PendingAsync(30 + i));
            await NotifyAsync(Carrying(requests[^1]));
        }

        Assert.Equal(requests.Take(3).Select(r => r.Id), Rig.Threads.Thread(requests[0].Id)!.MemberIds);
        Assert.Equal([requests[3].Id], Rig.Threads.Thread(requests[3].Id)!.MemberIds);
        Assert.Equal(requests[3].Id, (await Rig.Threads.GetAsync(SlackRows.Open(requests[3]), default))!.Value.LeadId);
        Assert.Equal(4, Rig.Slack.Posts.Count); // two messages per batch
    }

    [Fact]
    public async Task CrashAfterTheBatchStartTransaction_BeforeThePost_RedeliveryPostsOnce_AndPlacesNothingTwice()
    {
        var r = await PendingAsync(22);
        Rig.Slack.FailPosts = new InvalidOperationException("process died before posting");
        await Assert.ThrowsAsync<InvalidOperationException>(() => NotifyAsync(Carrying(r)));
        Assert.Equal([r.Id], Rig.Threads.Thread(r.Id)!.MemberIds);
        Rig.Slack.FailPosts = null;
        var transactions = Rig.Threads.Transactions;

        await NotifyAsync(Carrying(r));

        Assert.Equal(transactions, Rig.Threads.Transactions); // the conflict's membership read found the placement
        Assert.Equal(2, Rig.Slack.Posts.Count);
        Assert.Equal(3, HomeRows.Count());
    }

    [Fact]
    public async Task ClickAndApproveAll_OnAHomeBatch_FindTheHomeRows()
    {
        var a = await PendingAsync(22);
        var b = await PendingAsync(23);
        await Rig.Threads.ShowAtHomeAsync("CAPPROVERS", "1.1", a, b);

        Assert.Equal(DecisionOutcome.Approved, (await Rig.ClickAsync(ActionIds.Approve, a.Id, "UA")).Outcome);

        Assert.Equal(DecisionOutcome.Approved, (await Rig.ClickAsync(ActionIds.ApproveAll, a.Id, "UA")).Outcome);
        Assert.Equal(RequestStatus.Approved, (await StoredAsync(b.Id)).Status);
    }
}
