using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SgBridge.Emulators;

/// <summary>
/// In-memory Azurite (Blob, Queue, Table) started from the repo's node_modules (package.json pins it; run <c>npm ci</c>).
/// Every service listens on a loopback port the OS chooses, read from Azurite's output. Azurite does not notice when
/// its parent dies, so it runs under a wrapper that exits when our stdin closes: no orphaned emulator, even if killed.
/// Shared by the test fixtures and the benchmark (which links this file: it must not depend on xunit).
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

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private long _stalls;
    private long _maxStallMs;
    private long _stalledMs;
    private readonly List<string> _stallLines = [];

    /// <summary>Each stall since the last reset: how late, the CPU node used meanwhile (Azurite busy) and its GC pauses.</summary>
    public string StallDetail
    {
        get
        {
            lock (_output)
            {
                return string.Join(", ", _stallLines);
            }
        }
    }

    /// <summary>Times Azurite's thread woke 500 ms or more late since the last <see cref="ResetStalls"/>, the longest, the sum.</summary>
    public (long Count, long MaxMs, long TotalMs) Stalls => (Interlocked.Read(ref _stalls), Interlocked.Read(ref _maxStallMs), Interlocked.Read(ref _stalledMs));

    public void ResetStalls()
    {
        Interlocked.Exchange(ref _stalls, 0);
        Interlocked.Exchange(ref _maxStallMs, 0);
        Interlocked.Exchange(ref _stalledMs, 0);
        lock (_output)
        {
            _stallLines.Clear();
        }
    }

    public string ConnectionString { get; private set; } = "";

    public Uri BlobEndpoint => Endpoint("Blob");

    public Uri TableEndpoint => Endpoint("Table");

    public Uri QueueEndpoint => Endpoint("Queue");

    /// <summary>Everything Azurite has written to stdout/stderr so far (for diagnosing a failure).</summary>
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
            throw new InvalidOperationException($"Azurite is not installed: {script} does not exist. Run `npm ci` in {root} (package.json pins the version).");
        }
        _workDirectory = Directory.CreateTempSubdirectory("sgbridge-azurite-").FullName;
        var wrapper = Path.Combine(_workDirectory, "run-azurite.js");
        await File.WriteAllTextAsync(wrapper,
            "process.stdin.on('end', () => process.exit(0));\nprocess.stdin.resume();\n" +
            // A stall watch (as the bench's StallWatch): a 50 ms timer that fires 500 ms or more late means Azurite's one
            // thread did not get back to its timers (busy with its own work, not scheduled, or in a GC pause); each is
            // reported on stderr and counted here, with the CPU node used meanwhile (busy or not scheduled) and its GC pauses.
            "const { performance, PerformanceObserver } = require('perf_hooks');\nlet gc = 0;\n" +
            "new PerformanceObserver(l => { for (const e of l.getEntries()) gc += e.duration; }).observe({ entryTypes: ['gc'] });\n" +
            "let last = performance.now(), lastCpu = process.cpuUsage(), lastGc = 0;\nsetInterval(() => { const now = performance.now(); " +
            "const late = Math.round(now - last - 50); const cpu = process.cpuUsage(lastCpu); if (late >= 500) console.error('SGB-STALL ' + late + " +
            "' cpu ' + Math.round((cpu.user + cpu.system) / 1000) + ' gc ' + Math.round(gc - lastGc)); last = now; lastCpu = process.cpuUsage(); lastGc = gc; }, 50).unref();\n" +
            // And the queue service's periodic mark-and-sweep of message extents (every minute), timed: a suspect for stalls.
            "const sweeper = require(" + System.Text.Json.JsonSerializer.Serialize(Path.Combine(Path.GetDirectoryName(script)!, "queue", "gc", "QueueGCManager.js")) + ").default;\n" +
            "const sweep = sweeper.prototype.markSweep;\nsweeper.prototype.markSweep = async function () { const t = performance.now(); " +
            "try { return await sweep.apply(this, arguments); } finally { const d = Math.round(performance.now() - t); if (d >= 200) console.error('SGB-SWEEP ' + d); } };\nrequire(" +
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
        process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"Azurite exited before it was ready. Output:\n{Output}"));
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Cannot start `node`: install Node.js and put it on PATH to run Azurite.", ex);
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

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (line.StartsWith("SGB-SWEEP ", StringComparison.Ordinal))
        {
            lock (_output)
            {
                _stallLines.Add($"queue extent sweep {line[10..]} ms");
            }
            return;
        }
        if (line.StartsWith("SGB-STALL ", StringComparison.Ordinal) && line.Split(' ') is [_, var ms, "cpu", var cpu, "gc", var gcMs]
            && long.TryParse(ms, out var late))
        {
            lock (_output)
            {
                _stallLines.Add($"{late} ms (node CPU {cpu} ms, GC {gcMs} ms)");
            }
            Interlocked.Increment(ref _stalls);
            Interlocked.Add(ref _stalledMs, late);
            long seen;
            while (late > (seen = Interlocked.Read(ref _maxStallMs)) && Interlocked.CompareExchange(ref _maxStallMs, late, seen) != seen)
            {
            }
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

    private Uri Endpoint(string service)
    {
        lock (_output)
        {
            return _endpoints.TryGetValue(service, out var uri)
                ? uri
                : throw new InvalidOperationException($"Azurite's {service} service is not running.");
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

/// <summary>moto_server (the AWS API emulator) on a free loopback port.</summary>
public sealed class Moto : IAsyncDisposable
{
    public const string NotFoundMessage = "moto_server not found: pip install 'moto[server]==5.2.1'";

    private static readonly Lazy<(string File, string Prefix)?> Command = new(FindCommand);
    private Process? _process;

    /// <summary>True when moto_server (or python3 -m moto.server) can run here.</summary>
    public static bool IsAvailable => Command.Value is not null;

    public static Task<Moto> StartAsync() =>
        StartAsync(Command.Value ?? throw new InvalidOperationException(NotFoundMessage));

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

public static class ChildProcess
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
