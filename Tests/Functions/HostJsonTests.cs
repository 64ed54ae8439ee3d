using System.Text.Json;
using SgBridge.Shared.Options;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Functions;

/// <summary>host.json settings the code depends on.</summary>
public class HostJsonTests
{
    private static readonly JsonElement Queues =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "host.json"))).RootElement.GetProperty("extensions").GetProperty("queues");

    [Fact]
    public void MaxDequeueCount_AgreesWithTheProcessingDefault() =>
        // The worker marks a request RevertFailed on the try the host will poison: both must count the same.
        Assert.Equal(new ProcessingOptions().MaxDequeueCount, Queues.GetProperty("maxDequeueCount").GetInt32());

    [Fact]
    public void Polling_IsFastEnoughForAFirewallControl() =>
        Assert.True(TimeSpan.Parse(Queues.GetProperty("maxPollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= TimeSpan.FromSeconds(5));

    [Fact]
    public void MessageEncoding_IsBase64_AsTheSenderWrites() =>
        Assert.Equal("base64", Queues.GetProperty("messageEncoding").GetString());

    [Fact]
    public void HostJson_IsCopiedNextToTheFunctionApp()
    {
        Assert.True(File.Exists(Path.Combine(RepoRoot.FunctionAppOutput, "host.json")), RepoRoot.FunctionAppOutput);
    }
}
