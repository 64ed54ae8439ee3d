using SgBridge.Local;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Local;

/// <summary>One local bridge (its own Azurite, the in-process EC2/STS, the local Slack) for the "Local" collection.</summary>
public sealed class LocalBridgeFixture : IAsyncLifetime
{
    private LocalBridge? _bridge;

    public LocalBridge Bridge => _bridge ?? throw new InvalidOperationException("The local bridge has not started.");

    public async Task InitializeAsync() =>
        _bridge = await LocalBridge.StartAsync(new LocalBridgeOptions { RepoRoot = RepoRoot.Path, ConfigureLogging = _ => { } });

    public async Task DisposeAsync()
    {
        if (_bridge is not null)
        {
            await _bridge.DisposeAsync();
        }
    }
}

/// <summary>Tests of the local host share one bridge (fixed queue names) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LocalCollection : ICollectionFixture<LocalBridgeFixture>
{
    public const string Name = "Local";
}
