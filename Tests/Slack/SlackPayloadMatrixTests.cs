using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using Xunit.Abstractions;

namespace SgBridge.Tests.Slack;

/// <summary>The payload validator over the full input matrix (<see cref="SlackPayloadMatrix"/>), every payload kind.</summary>
[Collection(SlackPayloadMatrix.Collection)]
public class SlackPayloadMatrixTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every payload passes the validator (messages: 50 blocks, 10,000 characters of block text, every field limit;
    /// views: 100 blocks and the view limits), and the worst payload per kind (blocks, total block text) is reported:
    /// printed, and written to $SGBRIDGE_PAYLOAD_REPORT when set.
    /// </summary>
    [Fact]
    public void EveryPayloadKind_OverTheFullMatrix_PassesTheValidator()
    {
        var lines = new List<string>();
        var failures = new List<string>();
        foreach (var kind in SlackPayloadMatrix.All().GroupBy(p => p.Kind))
        {
            var all = kind.ToList();
            foreach (var p in all)
            {
                var errors = p.View is not null ? SlackPayloadValidator.CheckView(p.View) : SlackPayloadValidator.Check(p.Text, p.Blocks);
                if (errors.Count > 0 && failures.Count < 20)
                {
                    failures.Add($"{p.Kind} {p.Label}: {string.Join("; ", errors.Take(3))}");
                }
            }
            var byChars = all.MaxBy(p => p.TotalChars)!;
            var byBlocks = all.MaxBy(p => p.BlockCount)!;
            lines.Add($"{kind.Key}: {all.Count} payloads; most blocks {byBlocks.BlockCount} ({byBlocks.Label}); most characters {byChars.TotalChars} ({byChars.Label}); "
                + $"over 10,000: {all.Count(p => p.TotalChars > SlackLimits.TotalBlockText)}; over 50 blocks: {all.Count(p => p.View is null && p.BlockCount > SlackLimits.BlocksPerMessage)}; longest text {all.Max(p => p.Text.Length)}");
        }
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }
        if (Environment.GetEnvironmentVariable("SGBRIDGE_PAYLOAD_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllLines(path, lines);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Home tabs at their extremes stay within Slack's 100 blocks per view and the view limits, and when requests are
    /// cut the tab says how many more there are.
    /// </summary>
    [Fact]
    public void HomeTab_EveryState_Within100Blocks_AndCountsWhatIsCut()
    {
        foreach (var p in SlackPayloadMatrix.HomeExtremes())
        {
            Assert.True(SlackPayloadValidator.CheckView(p.View).Count == 0, $"{p.Label}: {string.Join("; ", SlackPayloadValidator.CheckView(p.View))}");
            Assert.InRange(p.BlockCount, 3, SlackLimits.BlocksPerView);
            var json = p.View!.ToJsonString();
            if (p.Label.StartsWith("500 waiting", StringComparison.Ordinal) || p.Label.StartsWith("200 waiting", StringComparison.Ordinal))
            {
                Assert.Contains("more waiting", json, StringComparison.Ordinal);
            }
            if (p.Label.Contains(", 500 own", StringComparison.Ordinal) || p.Label.Contains(", 200 own", StringComparison.Ordinal))
            {
                Assert.Contains("more yours", json, StringComparison.Ordinal);
            }
        }
    }
}
