using System.Net;
using System.Net.Sockets;

namespace SgBridge.Tests.Faults;

/// <summary>
/// A TCP proxy in front of one Azurite service that a test can switch while the bridge runs: <see cref="Up"/> forwards
/// every byte to Azurite; <see cref="Hang"/> accepts connections and never answers (connections already open stop being
/// forwarded and are held too). So "storage hanging, then back" happens under one running host, whose in-process
/// state (e.g. <c>UnrecordedRevokes</c>) lives through the outage as it would in production.
/// </summary>
public sealed class StorageSwitch : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly List<(Socket Client, Socket? Server)> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _hanging;

    public StorageSwitch(Uri target, bool hanging)
    {
        _target = target;
        _hanging = hanging;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>The service's endpoint through the proxy (Azurite's path kept: <c>http://127.0.0.1:port/devstoreaccount1</c>).</summary>
    public Uri Endpoint => new UriBuilder(_target) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;

    public bool Hanging => _hanging;

    /// <summary>From now on, connections are accepted and never answered; open ones are cut off from Azurite (held, silent).</summary>
    public void Hang()
    {
        _hanging = true;
        lock (_open)
        {
            foreach (var (_, server) in _open)
            {
                server?.Dispose(); // the client's side stays open and silent
            }
        }
    }

    /// <summary>Storage is back: held connections are closed (the client's try fails and is retried), new ones are forwarded.</summary>
    public void Up()
    {
        _hanging = false;
        lock (_open)
        {
            foreach (var (client, server) in _open.Where(o => o.Server is null).ToArray())
            {
                client.Dispose();
                _open.Remove((client, server));
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                if (_hanging)
                {
                    lock (_open)
                    {
                        _open.Add((client, null));
                    }
                    continue;
                }
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, _target.Port, _stop.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }
                lock (_open)
                {
                    _open.Add((client, server));
                }
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped at dispose.
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0 || _hanging)
                {
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side closed, or the switch cut it off.
        }
        if (!_hanging)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open)
        {
            foreach (var (client, server) in _open)
            {
                client.Dispose();
                server?.Dispose();
            }
            _open.Clear();
        }
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
