using SgBridge.Shared.Events;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Events;

public class CloudTrailParserRegionTests
{
    [Theory]
    [InlineData("eu-west-1", true)]
    [InlineData("us-gov-west-1", true)]
    [InlineData("ap-southeast-5", true)]
    [InlineData("cn-northwest-1", true)]
    [InlineData("me-west-1", true)]
    [InlineData("us-east-9", false)] // the shape of a region, but AWS has none
    [InlineData("xx-west-1", false)]
    [InlineData("us-iso-east-1", false)] // isolated partitions are not served
    [InlineData("evil.example.com/", false)]
    [InlineData("us-east-1.attacker", false)]
    [InlineData("EU-WEST-1", false)]
    public void Parse_Region_MustBeAKnownAwsRegion(string region, bool accepted)
    {
        var json = File.ReadAllText(RepoRoot.Sample("authorize-ssh-from-internet.json"))
            .Replace("\"awsRegion\": \"eu-west-1\"", $"\"awsRegion\": \"{region}\"", StringComparison.Ordinal);
        var result = CloudTrailParser.Parse(json);
        Assert.Equal(accepted, result.IsSuccess);
        if (!accepted)
        {
            Assert.True(result.TryGetRejection(out var rejection));
            Assert.Equal("detail.awsRegion", rejection.Field);
            Assert.Contains("awsRegion", rejection.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EnvelopeRegion_IsCheckedWhenTheRecordHasNone()
    {
        var json = File.ReadAllText(RepoRoot.Sample("authorize-ssh-from-internet.json"))
            .Replace("\"awsRegion\": \"eu-west-1\",", "", StringComparison.Ordinal)
            .Replace("\"region\": \"eu-west-1\"", "\"region\": \"eu-west-7\"", StringComparison.Ordinal);

        Assert.True(CloudTrailParser.Parse(json).TryGetRejection(out var rejection));
        Assert.Equal("region", rejection.Field);
    }

    /// <summary>Flags a region the AWS SDK in use knows (commercial, GovCloud, China) that AwsRegions.cs lacks: update the list with the package.</summary>
    [Fact]
    public void AwsRegions_HoldEveryRegionTheAwsSdkKnowsInTheServedPartitions()
    {
        var sdk = Amazon.RegionEndpoint.EnumerableAllRegions
            .Where(r => r.PartitionName is "aws" or "aws-us-gov" or "aws-cn")
            .Select(r => r.SystemName)
            .Where(name => !name.EndsWith("-regional", StringComparison.Ordinal)) // us-east-1-regional: an endpoint variant, not a region
            .ToHashSet(StringComparer.Ordinal);

        Assert.Empty(sdk.Except(AwsRegions.All).Order());
        Assert.All(AwsRegions.All, r => Assert.Matches("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r));
        Assert.Equal(AwsRegions.All.Count, AwsRegions.Commercial.Count + AwsRegions.GovCloud.Count + AwsRegions.China.Count);
    }
}
