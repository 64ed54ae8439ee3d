using System.Net;
using System.Net.Sockets;
using Azure;
using Azure.Data.Tables;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using Response = WireMock.ResponseBuilders.Response;
using Azurite = SgBridge.Emulators.Azurite;
using WireMock.Server;
using Xunit;

namespace SgBridge.Tests.Storage;

/// <summary>
/// The storage adapter's error boundary with real clients (as <see cref="StorageClients"/> builds them) against real
/// sockets: an outage — refused connection, a server that never answers, 5xx — reaches the features as
/// <see cref="StorageUnavailableException"/>; an answer (404, 409) stays the SDK's exception for the adapter to read.
/// </summary>
public sealed class StorageOutagePolicyTests
{
    private static StorageClients Clients(string endpoint) => Clients(endpoint, TimeSpan.FromMilliseconds(300));

    private static StorageClients Clients(string endpoint, TimeSpan timeout) => new(new StorageOptions
    {
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};" +
            $"TableEndpoint={endpoint}/{Azurite.AccountName};QueueEndpoint={endpoint}/{Azurite.AccountName};",
        TableNetworkTimeout = timeout,
        QueueNetworkTimeout = timeout,
        MaxRetries = 1,
    });

    [Fact]
    public async Task Table_ConnectionRefused_IsStorageUnavailable()
    {
        var clients = Clients($"http://127.0.0.1:{ClosedPort()}");

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Tables.GetTableClient("requests").GetEntityIfExistsAsync<TableEntity>("p", "r"));

        Assert.Contains("Azure Storage did not answer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queue_ServerNeverAnswers_IsStorageUnavailableAfterTheRetries()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts the connection (backlog) and never answers: every try ends in the network timeout

        var clients = Clients($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Queues.GetQueueClient("changes").SendMessageAsync("x"));
    }

    [Fact]
    public async Task ServerFault_IsStorageUnavailable_ButAnAnswerIsNot()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/devstoreaccount1/busy*").UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503));
        server.Given(Request.Create().WithPath("/devstoreaccount1/gone*").UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(409)
            .WithHeader("x-ms-error-code", "EntityAlreadyExists").WithHeader("Content-Type", "application/json").WithBody("{}"));
        var clients = Clients(server.Url!, TimeSpan.FromSeconds(10));

        var busy = await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Tables.GetTableClient("busy").AddEntityAsync(new TableEntity("p", "r")));
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => clients.Tables.GetTableClient("gone").AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(503, Assert.IsType<RequestFailedException>(busy.InnerException).Status);
        Assert.Equal(409, conflict.Status);
        Assert.IsNotType<StorageUnavailableException>(conflict);
    }

    [Fact]
    public async Task CallersCancellation_IsRethrownAsIs()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var clients = Clients($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => clients.Queues.GetQueueClient("changes").SendMessageAsync("x", cancel.Token));

        Assert.IsNotType<StorageUnavailableException>(ex);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void IsOutage_ByStatus(int status, bool expected) =>
        Assert.Equal(expected, StorageOutagePolicy.IsOutage(new RequestFailedException(status, "x")));

    [Fact]
    public void IsOutage_TimeoutsAfterRetries_AreAnOutage_OtherAggregatesAreNot()
    {
        Assert.True(StorageOutagePolicy.IsOutage(new AggregateException("Retry failed after 4 tries.", new TaskCanceledException("timed out", new TimeoutException()))));
        Assert.False(StorageOutagePolicy.IsOutage(new AggregateException(new InvalidOperationException("a bug"))));
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
