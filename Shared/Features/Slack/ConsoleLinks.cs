using System.Text.RegularExpressions;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Links into the AWS console by partition (China, GovCloud, the rest); none for the ISO partitions, whose consoles are
/// only reachable from their own networks. Only well-formed regions and ids make a link, so nothing can break out of the URL.
/// </summary>
public static partial class ConsoleLinks
{
    public static string? SecurityGroup(string? region, string? groupId) =>
        Host(region) is { } host && groupId is not null && GroupIdPattern().IsMatch(groupId)
            ? $"https://{host}/ec2/home?region={region}#SecurityGroup:groupId={groupId}"
            : null;

    public static string? CloudTrailEvent(string? region, string? eventId) =>
        Host(region) is { } host && eventId is not null && EventIdPattern().IsMatch(eventId)
            ? $"https://{host}/cloudtrail/home?region={region}#/events?EventId={eventId}"
            : null;

    private static string? Host(string? region) =>
        region is null || !RegionPattern().IsMatch(region) ? null
        : IsoRegionPattern().IsMatch(region) ? null
        : region.StartsWith("cn-", StringComparison.Ordinal) ? "console.amazonaws.cn"
        : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "console.amazonaws-us-gov.com"
        : $"{region}.console.aws.amazon.com";

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^[a-z]{2}-iso[a-z]?-")]
    private static partial Regex IsoRegionPattern();

    [GeneratedRegex("^sg-[0-9a-f]{8,17}$")]
    private static partial Regex GroupIdPattern();

    [GeneratedRegex("^[0-9a-fA-F-]{8,64}$")]
    private static partial Regex EventIdPattern();
}
