using System.Text.Json;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Functions;

/// <summary>The CatchUpEffects timer as the host will wire it: every <see cref="EffectsCatchUp.Interval"/> (the worst delay of a lost nudge rests on it).</summary>
public class CatchUpEffectsMetadataTests
{
    [Fact]
    public void CatchUpEffects_IsATimerEveryMinute_MatchingTheCatchUpInterval()
    {
        var path = Path.Combine(RepoRoot.FunctionAppOutput, "functions.metadata");
        var function = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "CatchUpEffects");
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 * * * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(TimeSpan.FromMinutes(1), EffectsCatchUp.Interval);
        Assert.True(EffectsCatchUp.WorstDelay <= TimeSpan.FromMinutes(2));
    }
}
