using System.Text.Json;
using SgBridge.Shared.Approvals;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Functions;

/// <summary>The RequeueApplies timer as the host will wire it: every <see cref="ApplyCatchUpService.Interval"/> (the replies promise it).</summary>
public class RequeueAppliesMetadataTests
{
    [Fact]
    public void RequeueApplies_IsATimerEveryFiveMinutes_MatchingTheCatchUpInterval()
    {
        var path = Path.Combine(RepoRoot.FunctionAppOutput, "functions.metadata");
        var function = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "RequeueApplies");
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 */5 * * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(TimeSpan.FromMinutes(5), ApplyCatchUpService.Interval);
    }
}
