using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using SgBridge.Emulators;

namespace SgBridge.Tests.Integration;

/// <summary>
/// One in-memory Azurite (see <see cref="Azurite"/>) for all tests in the "Azurite" collection. Tests share the
/// instance, so each test uses its own tables and queues: <see cref="UniqueTableName"/> and <see cref="UniqueQueueName"/>.
/// <code>
/// [Collection(AzuriteCollection.Name), Trait("Category", "Integration")]
/// public sealed class MyTests(AzuriteFixture azurite) { ... azurite.ConnectionString ... }
/// </code>
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private Azurite? _azurite;
    private int _counter;

    private Azurite Running => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    public string ConnectionString => Running.ConnectionString;

    public Uri BlobEndpoint => Running.BlobEndpoint;

    public Uri QueueEndpoint => Running.QueueEndpoint;

    public Uri TableEndpoint => Running.TableEndpoint;

    /// <summary>Everything Azurite has written so far (for diagnosing a failed test).</summary>
    public string Output => Running.Output;

    /// <summary>A table name no other test uses: letters and digits, starting with a letter, at most 63 characters.</summary>
    public string UniqueTableName(string prefix = "t")
    {
        var name = new string(prefix.Where(char.IsAsciiLetterOrDigit).ToArray());
        name = name.Length == 0 || !char.IsAsciiLetter(name[0]) ? "t" + name : name;
        return Truncate(name, 40) + Interlocked.Increment(ref _counter) + Guid.NewGuid().ToString("N")[..12];
    }

    /// <summary>A queue name no other test uses: lower-case letters, digits and single hyphens, at most 63 characters.</summary>
    public string UniqueQueueName(string prefix = "q")
    {
        var name = Regex.Replace(prefix.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        name = name.Length == 0 || !char.IsAsciiLetterOrDigit(name[0]) ? "q" : Truncate(name, 40).TrimEnd('-');
        return $"{name}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..12]}";
    }

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>A Queue client; the default <see cref="QueueMessageEncoding.None"/> shows the message text as stored.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueMessageEncoding encoding = QueueMessageEncoding.None) =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = encoding });

    public async Task InitializeAsync() => _azurite = await Azurite.StartAsync(FindRepoRoot());

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>The folder holding SgBridge.sln, found by walking up from the test binaries.</summary>
    public static string FindRepoRoot() => Fakes.RepoRoot.Path;

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>Shares one <see cref="AzuriteFixture"/> across every test class marked <c>[Collection(AzuriteCollection.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
