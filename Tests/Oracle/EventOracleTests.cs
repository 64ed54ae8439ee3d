using System.Text;
using System.Text.Json.Nodes;

namespace SgBridge.Tests.Oracle;

/// <summary>The fuzz oracle can fail and can pass: every sample is judged as the documentation says, and each one-field
/// departure from the documented shapes is judged invalid.</summary>
public sealed class EventOracleTests
{
    public static TheoryData<string> Samples() => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Judge_EverySample_IsValidOrChangedNothing(string sample)
    {
        var (verdict, why) = EventOracle.Judge(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", sample)));

        Assert.True(sample.Contains("failed", StringComparison.Ordinal) ? verdict == OracleVerdict.ChangedNothing : verdict == OracleVerdict.Valid, $"{sample}: {verdict} ({why})");
    }

    public static TheoryData<string, string> Departures() => new()
    {
        { "detail.eventID", "\"evt-1\"" },
        { "detail.eventTime", "\"yesterday\"" },
        { "detail.awsRegion", "\"eu-west-9\"" },
        { "region", "\"US-EAST-1\"" },
        { "account", "\"12345678901\"" },
        { "detail.recipientAccountId", "\"222222222222\"" },
        { "resources", "\"none\"" },
        { "detail.requestParameters.groupId", "\"sg-0123456789ABCDEF0\"" },
        { "detail.requestParameters.ipPermissions.items[0].ipProtocol", "\"all\"" },
        { "detail.requestParameters.ipPermissions.items[0].ipProtocol", "\"256\"" },
        { "detail.requestParameters.ipPermissions.items[0].fromPort", "null" },
        { "detail.requestParameters.ipPermissions.items[0].toPort", "65536" },
        { "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp", "\"10.0.0.0/33\"" },
        { "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].description", "\"caf\u00e9\"" },
        { "detail.requestParameters.ipPermissions.items[0].ipRanges", "{\"x\":[]}" },
        { "detail.responseElements.securityGroupRuleSet.items[0].isEgress", "true" },
        { "detail.responseElements.securityGroupRuleSet.items[0].securityGroupRuleId", "\"sgr-1\"" },
    };

    [Theory]
    [MemberData(nameof(Departures))]
    public void Judge_OneDocumentedConstraintBroken_IsInvalid(string path, string json)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "authorize-ssh-from-internet.json")))!;
        Set(root, path, JsonNode.Parse(json));

        var (verdict, why) = EventOracle.Judge(Encoding.UTF8.GetBytes(root.ToJsonString()));

        Assert.True(verdict == OracleVerdict.Invalid, $"{path} = {json}: {verdict} ({why})");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"a\":1,\"A\":2}")]
    public void Judge_NotAnEventObject_IsInvalid(string text) =>
        Assert.Equal(OracleVerdict.Invalid, EventOracle.Judge(Encoding.UTF8.GetBytes(text)).Verdict);

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1]) node = Step(node, part);
        var last = parts[^1];
        var bracket = last.IndexOf('[', StringComparison.Ordinal);
        if (bracket < 0)
        {
            node[last] = value;
            return;
        }
        Step(node, last[..bracket])!.AsArray()[int.Parse(last[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
    }

    private static JsonNode Step(JsonNode node, string part)
    {
        var bracket = part.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? node[part]! : node[part[..bracket]]![int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)]!;
    }
}
