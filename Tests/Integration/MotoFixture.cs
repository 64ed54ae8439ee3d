using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SgBridge.Tests.Integration;

/// <summary>
/// Runs moto_server (AWS API emulator) on a free loopback port for the lifetime of a test collection.
/// When moto is not installed, tests marked <see cref="MotoFactAttribute"/> are skipped.
/// </summary>
public sealed class MotoFixture : IAsyncLifetime
{
    public const string NotFoundMessage = "moto_server not found: pip install 'moto[server]==5.2.1'";

    private static readonly Lazy<(string File, string Prefix)?> Command = new(FindCommand);
    private Process? _process;

    public static bool IsAvailable => Command.Value is not null;

    /// <summary>The emulator's base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Command.Value is not { } command)
        {
            return;
        }
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo(command.File, $"{command.Prefix}-H 127.0.0.1 -p {port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start moto_server.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with code {_process.ExitCode}.");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"{Url}/moto-api/"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"moto_server did not answer on {Url} within 30 s.");
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (string File, string Prefix)? FindCommand()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "moto_server");
            if (File.Exists(candidate) && Runs(candidate, "--help")) return (candidate, "");
        }
        return Runs("python3", "-c \"import moto.server\"") ? ("python3", "-m moto.server ") : null;
    }

    private static bool Runs(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return false;
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

/// <summary>A fact that is skipped with an install hint when moto is not installed.</summary>
public sealed class MotoFactAttribute : FactAttribute
{
    public MotoFactAttribute()
    {
        if (!MotoFixture.IsAvailable)
        {
            Skip = MotoFixture.NotFoundMessage;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "Moto";
}
