using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>A group as EC2 describes it: id, name, VPC and its ingress rules (with rule ids).</summary>
public sealed record GroupDescription(string GroupId, string? GroupName, string? VpcId, IReadOnlyList<SecurityGroupRule> IngressRules)
{
    /// <summary>The outbound rules (filled by <see cref="ISecurityGroupClient.DescribeRegionAsync"/> and <see cref="ISecurityGroupClient.DescribeGroupAsync"/>).</summary>
    public IReadOnlyList<SecurityGroupRule> EgressRules { get; init; } = [];

    /// <summary>The group's tags as the same DescribeSecurityGroups answer carried them (null: not described with tags).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

/// <summary>EC2 security group calls in one account and region, with assumed-role credentials.</summary>
public interface ISecurityGroupClient
{
    /// <summary>Describes a group by id, or by name (default VPC); null when it does not exist.</summary>
    Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken);

    /// <summary>The group's rules, both directions, one DescribeSecurityGroupRules call per 1,000; a missing group has none.</summary>
    Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>Every group of the region with its rules (paged DescribeSecurityGroups and DescribeSecurityGroupRules).</summary>
    Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Performs one write. Errors retrying cannot fix come back as a failed <see cref="CallOutcome"/> with the error code
    /// (so does a revoke whose response lists permissions it did not find); transient failures are retried by the SDK and
    /// then thrown, so the queue message is tried again.
    /// </summary>
    Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken);

    /// <summary>The network interfaces the group is attached to (what it protects); errors escape to the caller.</summary>
    Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>The group's tags (one DescribeSecurityGroups call, no rules); null when the group does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken);
}

/// <summary>Creates <see cref="ISecurityGroupClient"/>s for an account and region, assuming the bridge's role there.</summary>
public interface ISecurityGroupClientFactory
{
    Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken);
}
