using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Emulators;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

/// <summary>
/// The intake answers within EventBridge's 5 s even when the queue does not: the enqueue has a budget
/// (Intake:EnqueueTimeout, retries included), and running out of it is a 503 with Retry-After.
/// </summary>
public sealed class EnqueueTimeoutTests : IDisposable
{
    /// <summary>Generous slack over the 2.5 s default budget: a bound check, not a benchmark.</summary>
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(4.5);

    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var d in _disposables) d.Dispose();
    }

    private static EventIntake Intake(IQueueSender queue, TimeProvider time, TimeSpan? budget = null)
    {
        var policy = O.Create(new PolicyOptions { AllowedAccounts = "111111111111" });
        return new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })), queue, policy, new IntakeOptions { EnqueueTimeout = budget ?? new IntakeOptions().EnqueueTimeout }, time);
    }

    private static byte[] Event() => File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"));

    /// <summary>A queue whose sends never finish and ignore their token: the worst a client can do.</summary>
    private sealed class HangingQueue : IQueueSender
    {
        public int Sends;
        public CancellationToken LastToken;

        public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sends);
            LastToken = cancellationToken;
            return new TaskCompletionSource().Task;
        }

        public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
            SendAsync(queueName, message, cancellationToken);
    }

    [Fact]
    public async Task AcceptAsync_QueueIgnoringCancellation_Is503AtTheBudget()
    {
        var time = new FakeTimeProvider();
        var queue = new HangingQueue();
        var answer = Intake(queue, time, TimeSpan.FromSeconds(2)).AcceptAsync(Event(), "application/json", CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(1999));
        await Task.Delay(50);
        Assert.False(answer.IsCompleted, "Answered before the budget ran out.");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((503, "Queue unavailable"), (result.StatusCode, result.Title));
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
        Assert.Contains("within 2 s", result.Detail, StringComparison.Ordinal);
        Assert.True(queue.LastToken.IsCancellationRequested, "The client's token was not cancelled at the deadline.");
    }

    [Fact]
    public async Task AcceptAsync_HostCancels_CancellationPropagates()
    {
        using var host = new CancellationTokenSource();
        var answer = Intake(new HangingQueue(), new FakeTimeProvider()).AcceptAsync(Event(), "application/json", host.Token);

        await host.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answer.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("00:00:00.050", false)]
    [InlineData("00:00:00.100", true)]
    [InlineData("00:00:02.500", true)]
    [InlineData("00:00:04", true)]
    [InlineData("00:00:04.001", false)]
    public void IntakeOptions_EnqueueTimeout_StaysInsideEventBridgesFiveSeconds(string value, bool valid)
    {
        // The enqueue budget alone (the inline budget adds to it when Intake:RevertInline is on: IntakeOptionsTests).
        var options = new IntakeOptions { RevertInline = false, EnqueueTimeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true);

        Assert.Equal(valid, results.Count == 0);
        if (!valid) Assert.Contains("Intake:EnqueueTimeout", results[0].ErrorMessage, StringComparison.Ordinal);
    }

    // --- the real queue client against endpoints that misbehave -------------------------------------------

    /// <summary>A real StorageQueueSender (Azure.Core's default retry policy: 3 retries, backoff, 100 s network timeout).</summary>
    private static StorageQueueSender RealSender(int port) =>
        new(new StorageClients(new StorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};QueueEndpoint=http://127.0.0.1:{port}/{Azurite.AccountName}",
        }).Queues);

    /// <summary>Accepts connections and never answers (a hung load balancer or a stuck emulator).</summary>
    private int SilentListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<Socket>();
        _disposables.Add(new Disposer(() =>
        {
            listener.Stop();
            lock (held) held.ForEach(s => s.Dispose());
        }));
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync();
                    lock (held) held.Add(socket);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A loopback port nothing listens on: connections are refused.</summary>
    private static int RefusingPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class Disposer(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    [Fact]
    public async Task AcceptAsync_QueueEndpointAcceptsAndNeverAnswers_Is503WithinTheBound()
    {
        var intake = Intake(RealSender(SilentListener()), TimeProvider.System);

        var clock = Stopwatch.StartNew();
        var result = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);
        clock.Stop();

        Assert.Equal(503, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
        Assert.True(clock.Elapsed < AnswerBound, $"Answered after {clock.Elapsed.TotalSeconds:0.00} s.");
        // The 2 s deadline ended it, not an earlier failure (less a timer's resolution: CancelAfter may fire a few ms early on the stopwatch).
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"Answered after {clock.Elapsed.TotalSeconds:0.00} s, before the budget: not the timeout that ended it.");
    }

    [Fact]
    public async Task AcceptAsync_QueueEndpointRefusesConnections_Is503WithinTheBound()
    {
        var intake = Intake(RealSender(RefusingPort()), TimeProvider.System);

        var clock = Stopwatch.StartNew();
        var result = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);
        clock.Stop();

        Assert.Equal(503, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
        Assert.True(clock.Elapsed < AnswerBound, $"Answered after {clock.Elapsed.TotalSeconds:0.00} s.");
    }

    [Fact]
    public async Task AcceptAsync_SecondEventWhileTheFirstStillHangs_IsAlso503WithinTheBound()
    {
        // The sender creates the queue once behind a gate: a second event must not wait behind the first's hung call.
        var intake = Intake(RealSender(SilentListener()), TimeProvider.System);
        var first = intake.AcceptAsync(Event(), "application/json", CancellationToken.None);
        await Task.Delay(500);

        var clock = Stopwatch.StartNew();
        var second = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);
        clock.Stop();

        Assert.Equal(503, second.StatusCode);
        Assert.True(clock.Elapsed < AnswerBound, $"Answered after {clock.Elapsed.TotalSeconds:0.00} s.");
        Assert.Equal(503, (await first).StatusCode);
    }
}
