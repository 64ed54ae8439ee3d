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
    /// <summary>What every unknown-tags reason starts with (shown in Slack and on the request).</summary>
    public const string CouldNotRead = "the group's tags could not be read";

    private readonly TimeSpan _budget = options.Value.Budget;

    public async Task<GroupTags> ReadAsync(string accountId, string region, string? groupId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return Unknown(accountId, "?", "the change names the group only by name");
        }
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_budget);
        try
        {
            // WaitAsync: a call that ignores its token (a hung connection) still cannot hold the decision past the budget.
            var tags = await ReadTagsAsync(accountId, region, groupId, budget.Token).WaitAsync(budget.Token).ConfigureAwait(false);
            return tags is null ? Unknown(accountId, groupId, "EC2 did not find the group") : GroupTags.Known(tags);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Unknown(accountId, groupId, Reason(ex, _budget));
        }
    }

    private async Task<IReadOnlyDictionary<string, string>?> ReadTagsAsync(string accountId, string region, string groupId, CancellationToken cancellationToken)
    {
        var client = await ec2.CreateAsync(accountId, region, cancellationToken).ConfigureAwait(false);
        return await client.DescribeGroupTagsAsync(groupId, cancellationToken).ConfigureAwait(false);
    }

    private GroupTags Unknown(string accountId, string groupId, string reason)
    {
        LogUnknown(logger, groupId, accountId, reason);
        telemetry.Failures.Add(1, new KeyValuePair<string, object?>("kind", "policy_tags"));
        return GroupTags.Unknown($"{CouldNotRead}: {reason}");
    }

    /// <summary>Why the read failed, in words an approver can act on (AWS error codes and short messages only, no secrets).</summary>
    internal static string Reason(Exception ex, TimeSpan budget) => ex switch
    {
        OperationCanceledException or TimeoutException => $"no answer from EC2 within {budget.TotalSeconds:0.##} s",
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "RequestLimitExceeded" or "Throttling" =>
            $"EC2 throttled the read ({Ec2ErrorText.Normalise(e.ErrorCode)})",
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "UnauthorizedOperation" or "AccessDenied" =>
            $"the bridge's role may not call ec2:DescribeSecurityGroups ({Ec2ErrorText.Normalise(e.ErrorCode)})",
        AwsServiceException { Service: "EC2" } e => $"EC2 error {(Ec2ErrorText.Normalise(e.ErrorCode) is { Length: > 0 } code ? code : "HTTP " + e.StatusCode)}",
        AwsServiceException e => $"AWS error {(e.ErrorCode is { Length: > 0 } code ? code : e.Service)}",
        HttpRequestException => "EC2 could not be reached",
        _ => ex.GetType().Name,
    };

    [LoggerMessage(1310, LogLevel.Warning, "Tags of {GroupId} in {AccountId} could not be read for the policy ({Reason}): a rule that needs them asks")]
    private static partial void LogUnknown(ILogger logger, string groupId, string accountId, string reason);
}
