using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace SgBridge.Tests.Integration;

/// <summary>
/// One in-memory Azurite (Blob, Queue, Table) for all tests in the "Azurite" collection, started from the repo's
/// node_modules (package.json pins the version; run <c>npm ci</c> at the repo root once). Every service listens on a
/// free loopback port chosen by the OS; the ports are read from Azurite's output. Tests share the instance, so each
/// test should use its own tables and queues: <see cref="UniqueTableName"/> and <see cref="UniqueQueueName"/>.
/// <code>
/// [Collection(AzuriteCollection.Name), Trait("Category", "Integration")]
/// public sealed class MyTests(AzuriteFixture azurite) { ... azurite.ConnectionString ... }
/// </code>
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    /// <summary>The well-known development account of the storage emulators (a public key, not a secret).</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, Uri> _endpoints = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private string? _workDirectory;
    private int _counter;

    public string ConnectionString { get; private set; } = "";

    public Uri BlobEndpoint => Endpoint("Blob");

    public Uri QueueEndpoint => Endpoint("Queue");

    public Uri TableEndpoint => Endpoint("Table");

    /// <summary>Everything Azurite has written to stdout/stderr so far (for diagnosing a failed test).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

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

    public async Task InitializeAsync()
    {
        var root = FindRepoRoot();
        var azurite = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed: {azurite} does not exist. Run `npm ci` in {root} (package.json pins the version).");
        }

        _workDirectory = Directory.CreateTempSubdirectory("sgbridge-azurite-").FullName;

        // Azurite does not notice when its parent dies. The wrapper exits when stdin closes, which happens when this
        // test process ends in any way (even killed), so no orphaned emulator is left behind.
        var wrapper = Path.Combine(_workDirectory, "run-azurite.js");
        await File.WriteAllTextAsync(wrapper,
            "process.stdin.on('end', () => process.exit(0));\nprocess.stdin.resume();\nrequire(" +
            System.Text.Json.JsonSerializer.Serialize(azurite) + ");\n");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _workDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     wrapper,
                     "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                     "--blobHost", "127.0.0.1", "--blobPort", "0",
                     "--queueHost", "127.0.0.1", "--queuePort", "0",
                     "--tableHost", "127.0.0.1", "--tablePort", "0",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data);
        process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException(
            $"Azurite exited before it was ready (exit code {SafeExitCode(process)}). Output:\n{Output}"));
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Cannot start `node`: install Node.js and put it on PATH to run the Azurite tests.", ex);
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await _ready.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"Azurite did not report all three services within {StartTimeout.TotalSeconds} s. Output:\n{Output}");
        }

        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";
    }

    public Task DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        if (_workDirectory is not null)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The folder holding SgBridge.sln, found by walking up from the test binaries.</summary>
    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SgBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SgBridge.sln above {AppContext.BaseDirectory}.");
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            if (ListeningLine().Match(line) is { Success: true } m)
            {
                // Azurite prints the address without the account; requests name it in the path.
                _endpoints[m.Groups["service"].Value] = new Uri(m.Groups["url"].Value.TrimEnd('/') + "/" + AccountName);
                if (_endpoints.Count == 3)
                {
                    _ready.TrySetResult();
                }
            }
        }
    }

    private Uri Endpoint(string service)
    {
        lock (_output)
        {
            return _endpoints.TryGetValue(service, out var uri)
                ? uri
                : throw new InvalidOperationException($"Azurite's {service} service is not running.");
        }
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "unknown";
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>Shares one <see cref="AzuriteFixture"/> across every test class marked <c>[Collection(AzuriteCollection.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
