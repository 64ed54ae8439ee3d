using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Policy;

/// <summary>
/// Reads a group's tags for a <c>groupTags</c> condition: one DescribeSecurityGroups call within
/// <see cref="BlastRadiusOptions.Budget"/>, not cached (a policy decides on the tag as it is now). Nothing throws but
/// the caller's cancellation: a failure becomes <see cref="GroupTags.Unknown"/> with the reason, logged and counted as
/// <c>sgbridge.failures{kind=policy_tags}</c>, and the policy asks.
/// </summary>
public sealed partial class PolicyTagReader(
    ISecurityGroupClientFactory ec2,
    IOptions<BlastRadiusOptions> options,
    ILogger<PolicyTagReader> logger,
    BridgeTelemetry telemetry)
{
    public async Task<GroupTags> ReadAsync(string accountId, string region, string? groupId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return Unknown(accountId, "?", "the change names the group only by name");
        }
        var (tags, failure) = await Ec2ReadFailure.TryAsync(async budget =>
        {
            var client = await ec2.CreateAsync(accountId, region, budget).ConfigureAwait(false);
            return await client.DescribeGroupTagsAsync(groupId, budget).ConfigureAwait(false);
        }, options.Value.Budget, "DescribeSecurityGroups", null, cancellationToken).ConfigureAwait(false);
        return failure is not null ? Unknown(accountId, groupId, failure)
            : tags is null ? Unknown(accountId, groupId, "EC2 did not find the group")
            : GroupTags.Known(tags);
    }

    private GroupTags Unknown(string accountId, string groupId, string reason)
    {
        LogUnknown(logger, groupId, accountId, reason);
        telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "policy_tags"));
        return GroupTags.Unknown($"the group's tags could not be read: {reason}");
    }

    [LoggerMessage(1310, LogLevel.Warning, "Tags of {GroupId} in {AccountId} could not be read for the policy ({Reason}): a rule that needs them asks")]
    private static partial void LogUnknown(ILogger logger, string groupId, string accountId, string reason);
}
