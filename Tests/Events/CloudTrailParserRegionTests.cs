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
    [InlineData("evil.example.com/", false)]
    [InlineData("us-east-1.attacker", false)]
    [InlineData("EU-WEST-1", false)]
    public void Parse_Region_MustLookLikeAnAwsRegion(string region, bool accepted)
    {
        var json = File.ReadAllText(RepoRoot.Sample("authorize-ssh-from-internet.json"))
            .Replace("\"awsRegion\": \"eu-west-1\"", $"\"awsRegion\": \"{region}\"", StringComparison.Ordinal);
        var result = CloudTrailParser.Parse(json);
        Assert.Equal(accepted, result.IsSuccess);
        if (!accepted)
        {
            Assert.True(result.TryGetRejection(out var rejection));
            Assert.Contains("awsRegion", rejection.Message, StringComparison.Ordinal);
        }
    }
}
