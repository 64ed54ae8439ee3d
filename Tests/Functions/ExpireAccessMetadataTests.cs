using System.Text.Json;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Functions;

/// <summary>The ExpireAccess timer as the host will wire it: every minute (the documented "exact to its interval").</summary>
public class ExpireAccessMetadataTests
{
    [Fact]
    public void ExpireAccess_IsATimerEveryMinute()
    {
        var path = Path.Combine(RepoRoot.FunctionAppOutput, "functions.metadata");
        var function = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == "ExpireAccess");
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 * * * * *", trigger.GetProperty("schedule").GetString());
    }
}
