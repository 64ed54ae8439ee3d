using System.Text.Json.Nodes;
using SgBridge.Local;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Local;

/// <summary>The local host reads the repo's host.json (embedded at build) and the host's defaults where a key is absent.</summary>
public sealed class HostSettingsTests
{
    [Fact]
    public void Embedded_IsTheRepositoryHostJson()
    {
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "host.json")))!["extensions"]!["queues"]!;

        var host = HostSettings.Embedded();

        Assert.Equal((int)queues["batchSize"]!, host.BatchSize);
        Assert.Equal((int)queues["newBatchThreshold"]!, host.NewBatchThreshold);
        Assert.Equal((int)queues["maxDequeueCount"]!, host.MaxDequeueCount);
        Assert.Equal(TimeSpan.Parse((string)queues["maxPollingInterval"]!, System.Globalization.CultureInfo.InvariantCulture), host.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse((string)queues["visibilityTimeout"]!, System.Globalization.CultureInfo.InvariantCulture), host.VisibilityTimeout);
        Assert.True(host.Base64Messages);
        Assert.Equal("api", host.RoutePrefix);
    }

    [Fact]
    public void Parse_EmptyHostJson_UsesTheHostsDefaults()
    {
        var host = HostSettings.Parse("{\"version\":\"2.0\"}");

        Assert.Equal((16, 5, TimeSpan.FromMinutes(1), TimeSpan.Zero, "api", true), (host.BatchSize, host.MaxDequeueCount, host.MaxPollingInterval, host.VisibilityTimeout, host.RoutePrefix, host.Base64Messages));
        Assert.Equal(8 * Environment.ProcessorCount, host.NewBatchThreshold);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void Parse_BatchSizeOutsideOneTo32_IsRefusedNamingTheKey(int batchSize)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => HostSettings.Parse($"{{\"extensions\":{{\"queues\":{{\"batchSize\":{batchSize}}}}}}}"));
        Assert.Contains("batchSize", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SweepForDrift", "2026-12-07T02:10:30Z", "2026-12-07T02:11:00Z")]
    [InlineData("ExpireStaleRequests", "2026-12-07T02:10:30Z", "2026-12-07T02:15:00Z")]
    [InlineData("PurgeOldRequests", "2026-12-07T03:30:00Z", "2026-12-08T03:30:00Z")]
    public void TimerSchedule_NextTick_IsWhatTheFunctionsAttributeSays_WithSeconds(string function, string after, string expected)
    {
        var descriptor = FunctionDescriptor.Discover(typeof(SgBridge.FunctionApp.Routes).Assembly, new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build())
            .Single(f => f.Name == function);
        var scheduler = new TimerScheduler(descriptor, null!, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new LocalCounters());

        var next = scheduler.NextAfter(Utc(after));

        Assert.Equal(Utc(expected), next);
    }

    private static DateTime Utc(string s) =>
        DateTime.Parse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
}
