using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Policy;

/// <summary>
/// Policy:RulesFile as a blob URL on Azurite's blob service: read at start-up with the bridge's storage credential
/// (connection string: same account only; managed identity: the identity's token), validated like a file (errors name
/// the blob and the line), and an unreadable blob stops the start-up with a clear message instead of running without
/// the policy.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PolicyBlobTests(AzuriteFixture azurite)
{
    private const string Good = """
        rules:
          - name: no-ssh
            when: { ports: [22] }
            outcome: deny
          - name: rest
            outcome: ask
        """;

    private readonly string _container = "policy" + Guid.NewGuid().ToString("N")[..10];

    private StorageOptions Storage => new() { ConnectionString = azurite.ConnectionString };

    private static PolicyOptions Options(string url) => new() { AllowedAccounts = "111111111111", RulesFile = url };

    private async Task<string> UploadAsync(string name, string text)
    {
        var container = new BlobContainerClient(azurite.ConnectionString, _container);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString(text), overwrite: true);
        return blob.Uri.AbsoluteUri;
    }

    private static PolicyBlob Blobs(StorageOptions storage) => new(Microsoft.Extensions.Options.Options.Create(storage));

    private static PolicyError Refused(Func<PolicyRuleSet> load) => Assert.Single(Assert.Throws<PolicyFileException>(load).Errors);

    [Fact]
    public async Task ConnectionString_Yaml_IsRead_SourceNamesTheBlob()
    {
        var url = await UploadAsync("policy.yaml", Good);

        var rules = PolicyRules.Load(Options(url), Blobs(Storage));

        Assert.Equal($"{_container}/policy.yaml", rules.Source);
        Assert.Equal(["no-ssh", "rest"], rules.Rules.Select(r => r.Name));
    }

    [Fact]
    public async Task ConnectionString_JsonInAFolder_IsRead()
    {
        var url = await UploadAsync("prod/policy.json", """{"rules": [{"name": "rest", "outcome": "ask"}]}""");
        var rules = PolicyRules.Load(Options(url), Blobs(Storage));
        Assert.Equal(($"{_container}/prod/policy.json", 1), (rules.Source, rules.Rules.Count));
    }

    [Fact]
    public async Task BadBlob_ErrorNamesTheBlobAndTheLine()
    {
        var url = await UploadAsync("policy.yaml", "rules:\n  - name: r\n    when: { ports: [70000] }\n    outcome: approve\n");
        var error = Refused(() => PolicyRules.Load(Options(url), Blobs(Storage)));
        Assert.Equal($"{_container}/policy.yaml line 3: port '70000' in rule 'r' is not a port (0-65535) or a range from-to with from <= to", error.ToString());
    }

    [Fact]
    public async Task MissingBlobOrContainer_Refused_NamingTheUrl()
    {
        var url = await UploadAsync("policy.yaml", Good);
        var missing = url.Replace("policy.yaml", "other.yaml", StringComparison.Ordinal);
        var error = Refused(() => PolicyRules.Load(Options(missing), Blobs(Storage)));
        Assert.Equal(missing, error.Source);
        Assert.Contains("the blob cannot be read: it does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("BlobNotFound", error.Message, StringComparison.Ordinal);

        var noContainer = url.Replace(_container, _container + "x", StringComparison.Ordinal);
        Assert.Contains("ContainerNotFound", Refused(() => PolicyRules.Load(Options(noContainer), Blobs(Storage))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionString_BlobInAnotherAccount_Refused()
    {
        var url = await UploadAsync("policy.yaml", Good);
        var other = url.Replace("/devstoreaccount1/", "/otheraccount/", StringComparison.Ordinal);
        var error = Refused(() => PolicyRules.Load(Options(other), Blobs(Storage)));
        Assert.Contains("not in the storage account of Storage:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://x.blob.core.windows.net/c/p.yaml",
            Refused(() => PolicyRules.Load(Options("https://x.blob.core.windows.net/c/p.yaml"), Blobs(Storage))).Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreachable_FailsWithin30Seconds_WithAClearMessage()
    {
        var port = FreePort();
        var storage = new StorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        };
        var url = $"http://127.0.0.1:{port}/devstoreaccount1/policy/policy.yaml";
        var clock = Stopwatch.StartNew();

        var error = Refused(() => PolicyRules.Load(Options(url), Blobs(storage)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
        Assert.Equal(url, error.Source);
        Assert.Contains("the storage account could not be reached", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://acct.blob.core.windows.net/policy/policy.yaml?sv=2024&sig=abc", "must not carry a query")]
    [InlineData("http://acct.blob.core.windows.net/policy/policy.yaml", "must be an https:// blob URL")]
    [InlineData("https://acct.blob.core.windows.net/policy/policy.txt", "must end in .yaml, .yml or .json")]
    [InlineData("https://acct.blob.core.windows.net/policy.yaml", "must name a container and a blob")]
    [InlineData("https://", "not a valid blob URL")]
    public void BadUrls_Refused(string url, string message)
    {
        var managed = new StorageOptions { AccountName = "acct" };
        Assert.Contains(message, Refused(() => PolicyRules.Load(Options(url), Blobs(managed))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoStorageSettings_Refused() =>
        Assert.Contains("neither Storage:ConnectionString nor Storage:AccountName",
            Refused(() => PolicyRules.Load(Options("https://acct.blob.core.windows.net/p/policy.yaml"), Blobs(new StorageOptions()))).Message, StringComparison.Ordinal);

    [Fact]
    public void ManagedIdentity_TheIdentitysTokenIsAskedForStorage_AndAFailureNamesTheBlob()
    {
        var credential = new RecordingCredential();
        var storage = new StorageOptions { AccountName = "acct", ClientId = "00000000-0000-0000-0000-000000000001" };
        var url = $"https://127.0.0.1:{FreePort()}/acct/policy/policy.yaml";

        var error = Assert.Single(Assert.Throws<PolicyFileException>(() => PolicyBlob.Read(url, storage, credential, default)).Errors);

        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes.Distinct());
        Assert.Equal(url, error.Source);
        Assert.Contains("no storage token for the bridge's identity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManagedIdentity_ClientForTheUrl_WithTheConfiguredIdentity()
    {
        var (client, source) = PolicyBlob.CreateClient("https://acct.blob.core.windows.net/policies/team/policy.yaml", new StorageOptions { AccountName = "acct" });
        Assert.Equal(("https://acct.blob.core.windows.net/policies/team/policy.yaml", "policies/team/policy.yaml"), (client.Uri.AbsoluteUri, source));
        Assert.Equal(("acct", "policies", "team/policy.yaml"), (client.AccountName, client.BlobContainerName, client.Name));
        Assert.IsType<ManagedIdentityCredential>(StorageClients.Credential(new StorageOptions { AccountName = "acct", ClientId = "00000000-0000-0000-0000-000000000001" }));
        Assert.IsType<DefaultAzureCredential>(StorageClients.Credential(new StorageOptions { AccountName = "acct" }));
    }

    // Start-up through the app's own DI graph.

    private static ServiceProvider Build(string rulesFile, string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = connectionString,
            ["Policy:AllowedAccounts"] = "111111111111",
            ["Policy:RulesFile"] = rulesFile,
            ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
            ["Slack:BotToken"] = "xoxb-x",
            ["Slack:SigningSecret"] = "s",
            ["Slack:ApproversChannel"] = "C1",
            ["Slack:MonitoringChannel"] = "C2",
            ["Slack:ApproverUserIds"] = "U1",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSgBridge(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task StartUp_Blob_ValidatedOnce_AndTheAppRunsWhatWasValidated()
    {
        var url = await UploadAsync("policy.yaml", Good);
        using var provider = Build(url, azurite.ConnectionString);

        _ = provider.GetRequiredService<IOptions<PolicyOptions>>().Value; // start-up validation reads the blob
        await UploadAsync("policy.yaml", "rules:\n  - name: changed\n    outcome: ask\n"); // read at start-up: a change needs a restart

        var rules = provider.GetRequiredService<PolicyRules>().Current;
        Assert.Equal(["no-ssh", "rest"], rules.Rules.Select(r => r.Name));
        Assert.Same(rules, provider.GetRequiredService<PolicyRulesCache>().GetOrLoad(provider.GetRequiredService<IOptions<PolicyOptions>>().Value, provider.GetRequiredService<IPolicyBlobReader>()));
    }

    [Fact]
    public async Task StartUp_UnreadableOrBadBlob_RefusesToStart()
    {
        var url = await UploadAsync("policy.yaml", Good);
        using (var provider = Build(url.Replace("policy.yaml", "gone.yaml", StringComparison.Ordinal), azurite.ConnectionString))
        {
            var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PolicyOptions>>().Value);
            Assert.Contains($"Policy:RulesFile: {url.Replace("policy.yaml", "gone.yaml", StringComparison.Ordinal)}: the blob cannot be read: it does not exist", ex.Message, StringComparison.Ordinal);
        }
        var bad = await UploadAsync("bad.yaml", "rules:\n  - name: r\n    outcome: allow\n");
        using (var provider = Build(bad, azurite.ConnectionString))
        {
            var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PolicyOptions>>().Value);
            Assert.Contains($"Policy:RulesFile: {_container}/bad.yaml line 3: rule 'r' has outcome 'allow'", ex.Message, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class RecordingCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }
            throw new AuthenticationFailedException("ManagedIdentityCredential authentication unavailable. No managed identity endpoint found.");
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

/// <summary>`sgbridge policy test --rules &lt;blob URL&gt;` reads the blob with the Storage__* settings, as the app does.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PolicyBlobCliTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task PolicyTest_BlobUrl_ReadWithTheStorageSettings()
    {
        var container = new BlobContainerClient(azurite.ConnectionString, "clipolicy" + Guid.NewGuid().ToString("N")[..8]);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient("policy.yaml");
        await blob.UploadAsync(BinaryData.FromString("rules:\n  - name: no-ssh\n    when: { ports: [22] }\n    outcome: deny\n"));
        var cli = new SgBridge.Tests.Cli.CliRunner();
        cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;

        var (exit, o, e) = await cli.RunAsync("policy", "test", RepoRoot.Sample("authorize-ssh-from-internet.json"), "--rules", blob.Uri.AbsoluteUri);

        Assert.True(exit == SgBridge.Cli.ExitCodes.Success, o + e);
        Assert.Contains($"Decision: DENY, by rule 'no-ssh' ({container.Name}/policy.yaml line 2)", o, StringComparison.Ordinal);

        cli.Environment.Remove("Storage__ConnectionString");
        var (without, o2, _) = await cli.RunAsync("policy", "test", RepoRoot.Sample("authorize-ssh-from-internet.json"), "--rules", blob.Uri.AbsoluteUri);
        Assert.Equal(SgBridge.Cli.ExitCodes.Failed, without);
        Assert.Contains("neither Storage:ConnectionString nor Storage:AccountName", o2, StringComparison.Ordinal);
    }
}
