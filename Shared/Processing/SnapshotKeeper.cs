using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>After a revert or an approved apply the group holds exactly its approved rules: remember them.</summary>
public sealed class SnapshotKeeper(ISnapshotStore snapshots, TimeProvider time)
{
    public Task<GroupSnapshot?> GetAsync(string accountId, string region, string groupId, CancellationToken cancellationToken) =>
        snapshots.GetAsync(accountId, region, groupId, cancellationToken);

    public async Task RefreshAsync(ISecurityGroupClient client, string accountId, string region, string? groupId, CancellationToken cancellationToken)
    {
        if (groupId is null)
        {
            return;
        }
        var group = await client.DescribeGroupAsync(groupId, null, cancellationToken);
        if (group is not null)
        {
            await SaveAsync(accountId, region, group, cancellationToken);
        }
    }

    public Task SaveAsync(string accountId, string region, GroupDescription group, CancellationToken cancellationToken) =>
        snapshots.SaveAsync(new GroupSnapshot(accountId, region, group.GroupId, group.GroupName, group.VpcId, group.IngressRules, time.GetUtcNow()), cancellationToken);
}
