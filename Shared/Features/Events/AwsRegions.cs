namespace SgBridge.Shared.Events;

/// <summary>The regions of the <c>aws</c>, <c>aws-us-gov</c> and <c>aws-cn</c> partitions. An event from a missing region is
/// answered 400 and not retried: add new ones here (<c>CloudTrailParserRegionTests</c> fails when the SDK knows one that is missing).</summary>
public static class AwsRegions
{
    public static IReadOnlyList<string> Commercial { get; } =
    [
        "af-south-1",
        "ap-east-1", "ap-east-2",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1",
        "eu-central-1", "eu-central-2",
        "eu-north-1",
        "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1",
        "me-central-1", "me-south-1", "me-west-1",
        "mx-central-1",
        "sa-east-1", "sa-west-1",
        "us-east-1", "us-east-2",
        "us-west-1", "us-west-2",
    ];

    public static IReadOnlyList<string> GovCloud { get; } = ["us-gov-east-1", "us-gov-west-1"];

    public static IReadOnlyList<string> China { get; } = ["cn-north-1", "cn-northwest-1"];

    private static readonly HashSet<string> Known = [.. Commercial, .. GovCloud, .. China];

    public static IReadOnlyCollection<string> All => Known;

    /// <summary>True for an exact (lower-case) region code.</summary>
    public static bool IsKnown(string? region) => region is not null && Known.Contains(region);
}
