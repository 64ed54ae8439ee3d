using SgBridge.Tests.Integration;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// End-to-end tests get their own Azurite (queue names are fixed constants, so sharing queues with other tests would
/// mix messages) and moto. Tests in one collection run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<AzuriteFixture>, ICollectionFixture<MotoFixture>
{
    public const string Name = "Pipeline";
}
