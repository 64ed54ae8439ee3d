using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SgBridge.Bench;

/// <summary>
/// In-memory Azurite started from the repo's node_modules, as Tests/Integration/AzuriteFixture does (the start logic is
/// copied here rather than referencing the Tests project, which would drag xunit, the Functions SDK and the Bicep tool
/// into an exe). Ports are chosen by the OS and read from Azurite's output; the wrapper exits when our stdin closes.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, Uri> _endpoints = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private string? _workDirectory;

    public string ConnectionString { get; private set; } = "";

    public Uri TableEndpoint => _endpoints["Table"];

    public Uri QueueEndpoint => _endpoints["Queue"];

    public static async Task<Azurite> StartAsync(string repoRoot)
    {
        var azurite = new Azurite();
        await azurite.InitializeAsync(repoRoot);
        return azurite;
    }

    private async Task InitializeAsync(string root)
    {
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed: {script} does not exist. Run `npm ci` in {root}.");
        }
        _workDirectory = Directory.CreateTempSubdirectory("sgbridge-bench-azurite-").FullName;
        var wrapper = Path.Combine(_workDirectory, "run-azurite.js");
        await File.WriteAllTextAsync(wrapper,
            "process.stdin.on('end', () => process.exit(0));\nprocess.stdin.resume();\nrequire(" +
            System.Text.Json.JsonSerializer.Serialize(script) + ");\n");
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
                     wrapper, "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
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
        process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"Azurite exited before it was ready. Output:\n{_output}"));
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await _ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint={_endpoints["Blob"]};QueueEndpoint={_endpoints["Queue"]};TableEndpoint={_endpoints["Table"]};";
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
                _endpoints[m.Groups["service"].Value] = new Uri(m.Groups["url"].Value.TrimEnd('/') + "/" + AccountName);
                if (_endpoints.Count == 3)
                {
                    _ready.TrySetResult();
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        ChildProcess.Stop(_process);
        if (_workDirectory is not null)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>moto_server on a free loopback port (copied from Tests/Integration/MotoFixture).</summary>
public sealed class Moto : IAsyncDisposable
{
    private Process? _process;

    public string Url { get; private set; } = "";

    public static (string File, string Prefix)? FindCommand()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "moto_server");
            if (File.Exists(candidate) && ChildProcess.Runs(candidate, "--help"))
            {
                return (candidate, "");
            }
        }
        return ChildProcess.Runs("python3", "-c \"import moto.server\"") ? ("python3", "-m moto.server ") : null;
    }

    public static async Task<Moto> StartAsync((string File, string Prefix) command)
    {
        var moto = new Moto();
        var port = ChildProcess.FreePort();
        moto.Url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo(command.File, $"{command.Prefix}-H 127.0.0.1 -p {port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        moto._process = Process.Start(start) ?? throw new InvalidOperationException("Could not start moto_server.");
        moto._process.OutputDataReceived += (_, _) => { };
        moto._process.ErrorDataReceived += (_, _) => { };
        moto._process.BeginOutputReadLine();
        moto._process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (moto._process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with code {moto._process.ExitCode}.");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"{moto.Url}/moto-api/"));
                if (response.IsSuccessStatusCode)
                {
                    return moto;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"moto_server did not answer on {moto.Url} within 30 s.");
    }

    public ValueTask DisposeAsync()
    {
        ChildProcess.Stop(_process);
        return ValueTask.CompletedTask;
    }
}

internal static class ChildProcess
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }
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
        }
        process.Dispose();
    }

    public static bool Runs(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null)
            {
                return false;
            }
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(30_000))
            {
                p.Kill(entireProcessTree: true);
                return false;
            }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
