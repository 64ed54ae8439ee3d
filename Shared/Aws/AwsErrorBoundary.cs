using Amazon.Runtime;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>
/// The AWS adapter's error boundary: turns every <see cref="AmazonServiceException"/> (EC2's, or STS's when credentials
/// are renewed mid-call) into the core's <see cref="AwsServiceException"/>, so features never name the SDK.
/// </summary>
public sealed class AwsErrorBoundary(ISecurityGroupClient inner) : ISecurityGroupClient
{
    public Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken) =>
        Translate(() => inner.DescribeGroupAsync(groupId, groupName, cancellationToken));

    public Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken) =>
        Translate(() => inner.DescribeRulesAsync(groupId, cancellationToken));

    public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken) =>
        Translate(() => inner.DescribeRegionAsync(cancellationToken));

    public Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken) =>
        Translate(() => inner.ExecuteAsync(write, cancellationToken));

    public Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken) =>
        Translate(() => inner.DescribeNetworkInterfacesAsync(groupId, cancellationToken));

    public Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken) =>
        Translate(() => inner.DescribeGroupTagsAsync(groupId, cancellationToken));

    /// <summary>Runs <paramref name="call"/>, rethrowing an AWS error answer as <see cref="AwsServiceException"/>.</summary>
    public static async Task<T> Translate<T>(Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException ex)
        {
            var service = ex.GetType().Namespace?.StartsWith("Amazon.SecurityToken", StringComparison.Ordinal) == true ? "STS" : "EC2";
            throw new AwsServiceException(service, ex.ErrorCode ?? "", (int)ex.StatusCode, ex.Message, ex);
        }
    }
}
