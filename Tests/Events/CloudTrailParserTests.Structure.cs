using System.Text;
using System.Text.Json;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Events;

/// <summary>Duplicated keys and undecodable strings: found in one pass over the raw body, before the document hides them.</summary>
public sealed partial class CloudTrailParserTests
{
    private static string Edit(string sample, string find, string replaceWith, int expected = 1)
    {
        var text = Sample(sample);
        var count = (text.Length - text.Replace(find, "", StringComparison.Ordinal).Length) / find.Length;
        Assert.True(count >= expected, $"'{find}' not in {sample}");
        var i = text.IndexOf(find, StringComparison.Ordinal);
        return text[..i] + replaceWith + text[(i + find.Length)..];
    }

    public static TheoryData<string, string, string> DuplicatedKeys => new()
    {
        // A second eventName would turn an ingress grant into something else.
        { "\"eventName\": \"AuthorizeSecurityGroupIngress\",", "\"eventName\": \"AuthorizeSecurityGroupIngress\", \"eventName\": \"CreateSecurityGroup\",", "detail.eventName" },
        // Keys differing only in case: the parser matches keys ignoring case, so they are the same key to it.
        { "\"eventName\": \"AuthorizeSecurityGroupIngress\",", "\"EventName\": \"CreateSecurityGroup\", \"eventName\": \"AuthorizeSecurityGroupIngress\",", "detail.eventName" },
        // An escaped key is the same key once decoded.
        { "\"eventName\": \"AuthorizeSecurityGroupIngress\",", "\"eventName\": \"AuthorizeSecurityGroupIngress\", \"event\\u004eame\": \"X\",", "detail.eventName" },
        { "\"source\": \"aws.ec2\",", "\"source\": \"aws.ec2\", \"source\": \"aws.ec2\",", "source" },
        { "\"fromPort\": 22,", "\"fromPort\": 22, \"fromPort\": 0,", "detail.requestParameters.ipPermissions.items[0].fromPort" },
        { "\"description\": \"temporary ssh\"", "\"description\": \"temporary ssh\", \"cidrIp\": \"10.0.0.0/8\"", "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp" },
    };

    [Theory]
    [MemberData(nameof(DuplicatedKeys))]
    public void Parse_DuplicatedKey_IsInvalidNamingTheKeyPath(string find, string replaceWith, string path)
    {
        var json = Edit("authorize-ssh-from-internet.json", find, replaceWith);

        var rejection = ParseRejected(json);

        Assert.Equal(RejectionKind.InvalidField, rejection.Kind);
        Assert.Equal(path, rejection.Field);
        Assert.Equal($"Field '{path}' is invalid: the key appears more than once in its object (keys are compared ignoring case).", rejection.Message);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(rejection, CloudTrailParser.Parse(document.RootElement));
    }

    [Fact]
    public void Parse_DuplicatedKeyInTheSecondItemOfAList_NamesItsIndex()
    {
        var json = Edit("authorize-mixed-sources.json", "\"cidrIp\": \"198.51.100.0/24\"", "\"cidrIp\": \"198.51.100.0/24\", \"CIDRIP\": \"0.0.0.0/0\"");

        Assert.Equal("detail.requestParameters.ipPermissions.items[0].ipRanges.items[1].CIDRIP", ParseRejected(json).Field);
    }

    [Fact]
    public void Parse_SameKeyInDifferentObjects_IsFine()
    {
        // "type", "arn", "accountId", "fromPort", "description"… recur across objects in every sample.
        foreach (var sample in SampleNames)
        {
            var result = CloudTrailParser.Parse(Encoding.UTF8.GetBytes(Sample(sample)));
            Assert.False(result.TryGetRejection(out var r) && r.Message.Contains("more than once", StringComparison.Ordinal), sample);
        }
    }

    [Theory]
    [InlineData("\"temporary ssh\"", "\"temporary \\ud800 ssh\"", "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].description")]
    [InlineData("\"temporary ssh\"", "\"\\udfff\"", "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].description")]
    [InlineData("\"sourceIPAddress\"", "\"source\\ud800IPAddress\"", "detail")]
    public void Parse_LoneSurrogateEscape_IsInvalidNotAnException(string find, string replaceWith, string path)
    {
        var json = Edit("authorize-ssh-from-internet.json", find, replaceWith);

        var rejection = ParseRejected(json);

        Assert.Equal(RejectionKind.InvalidField, rejection.Kind);
        Assert.Equal(path, rejection.Field);
        Assert.Contains("not valid UTF-16", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidSurrogatePairEscape_IsFine()
    {
        // In a free-text field (a rule description holds only what EC2 allows there, which is ASCII).
        var change = ParseOk(Sample("authorize-ssh-from-internet.json").Replace("\"AWS Internal\"", "\"AWS \\ud83d\\udd11 Internal\"", StringComparison.Ordinal));

        Assert.Equal("AWS \U0001F511 Internal", change.Requester.UserAgent);
    }
}
