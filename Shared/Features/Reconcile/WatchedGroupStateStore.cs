using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The approved-state store as the bridge uses it: an account's first approved state makes the account known (so a
/// <c>*</c> sweep covers it), and a group adopted at first sight with a rule open to the internet tells monitoring.
/// </summary>
public sealed class WatchedGroupStateStore(IGroupStateStore inner, IKnownAccountStore accounts, OperationsNotices notices, TimeProvider time) : IGroupStateStore
{
    public Task<Stored<ApprovedGroup>?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken) =>
        inner.GetAsync(accountId, region, groupId, cancellationToken);

    public async Task<(Stored<ApprovedGroup> Group, bool Created)> AddOrGetAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        var result = await inner.AddOrGetAsync(group, cancellationToken).ConfigureAwait(false);
        if (result.Created)
        {
            await accounts.NoteAsync(group.AccountId, Source(group), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (group.Rules.Count > 0 && group.Rules.All(r => r.Origin == ApprovalOrigin.Adopted)
                && BaselineService.Risky(group.RuleSet) is { Count: > 0 } risky)
            {
                await notices.RiskyAdoptionAsync(group, risky, cancellationToken).ConfigureAwait(false);
            }
        }
        return result;
    }

    public Task<string> ReplaceAsync(ApprovedGroup group, string etag, CancellationToken cancellationToken) =>
        inner.ReplaceAsync(group, etag, cancellationToken);

    public async Task UpsertAsync(ApprovedGroup group, CancellationToken cancellationToken)
    {
        await inner.UpsertAsync(group, cancellationToken).ConfigureAwait(false);
        await accounts.NoteAsync(group.AccountId, Source(group), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<ApprovedGroup> ListAsync(string accountId, string region, CancellationToken cancellationToken) =>
        inner.ListAsync(accountId, region, cancellationToken);

    public Task<GroupLease?> TryAcquireLeaseAsync(string accountId, string region, string groupId, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken) =>
        inner.TryAcquireLeaseAsync(accountId, region, groupId, owner, now, duration, cancellationToken);

    public Task ReleaseLeaseAsync(GroupLease lease, CancellationToken cancellationToken) =>
        inner.ReleaseLeaseAsync(lease, cancellationToken);

    private static string Source(ApprovedGroup group) =>
        group.Rules.FirstOrDefault()?.Origin switch
        {
            ApprovalOrigin.Baseline => "baseline",
            ApprovalOrigin.Adopted => "first sight",
            ApprovalOrigin.Request => "approval",
            ApprovalOrigin.Exempt => "exempt change",
            _ => "approved state",
        };
}
