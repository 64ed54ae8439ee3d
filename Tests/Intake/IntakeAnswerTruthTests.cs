using SgBridge.Shared.Aws;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

/// <summary>
/// The intake's answer is the truth about the queue (Azurite, with a fault injected into the queue client's pipeline):
/// a send that lands but whose answer comes late is 202 while the attempt's deadline allows, never a 503 for a change
/// that is in fact queued; a 503 comes only when the send failed (nothing queued).
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class IntakeAnswerTruthTests(AzuriteFixture azurite)
{
    private readonly Bridge _bridge = new() { Ec2 = new FakeSecurityGroupClient { GroupId = "sg-0123456789abcdef0" } };

    private static byte[] Event() => File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"));

    /// <summary>The request reaches the server and takes effect; its answer is held back for <see cref="Delay"/> (a slow network, a starved client).</summary>
    private sealed class LateAnswer(TimeSpan delay) : HttpPipelinePolicy
    {
        public TimeSpan Delay { get; } = delay;

        public int Sends;

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (message.Request.Method == RequestMethod.Post)
            {
                Interlocked.Increment(ref Sends);
                await Task.Delay(Delay, message.CancellationToken);
            }
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline); // the set-up's queue creation
    }

    /// <summary>The real sender, every queue name mapped to this test's own queue.</summary>
    private sealed class OwnQueue(IQueueSender inner, string name) : IQueueSender
    {
        public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken) => inner.SendAsync(name, message, cancellationToken);

        public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
            inner.SendAsync(name, message, visibilityDelay, cancellationToken);

        public Task<SentMessage?> SendWithdrawableAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
            inner.SendWithdrawableAsync(name, message, visibilityDelay, cancellationToken);

        public Task WithdrawAsync(SentMessage sent, CancellationToken cancellationToken) => inner.WithdrawAsync(sent, cancellationToken);
    }

    /// <summary>The sample's group onboarded, the sample's rule added, and every EC2 write throttled: the inline revert fails at once.</summary>
    private async Task ThrottledRevokeAsync()
    {
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        _bridge.Ec2.Rules.Add(TestData.Tcp(22, "0.0.0.0/0", "temporary ssh", "sgr-0a1b2c3d4e5f60001"));
        _bridge.Ec2.Throw = new AwsServiceException("EC2", "RequestLimitExceeded", 0, "Rate exceeded", null);
        _bridge.Ec2.ThrowTimes = 100;
    }

    private (EventIntake Intake, QueueClient Queue) Build(HttpPipelinePolicy fault, IntakeOptions options)
    {
        var name = azurite.UniqueQueueName("truth");
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.AddPolicy(fault, HttpPipelinePosition.PerCall);
        var service = new QueueServiceClient(azurite.ConnectionString, clientOptions);
        service.GetQueueClient(name).CreateIfNotExists();
        var queue = new OwnQueue(new StorageQueueSender(service), name);
        var intake = new EventIntake(_bridge.ChangePolicy(), queue, O.Create(_bridge.Policy), O.Create(options), TimeProvider.System,
            NullLogger<EventIntake>.Instance, _bridge.Telemetry, _bridge.Processor(), _bridge.Get<Heartbeat>());
        return (intake, azurite.CreateQueueServiceClient().GetQueueClient(name));
    }

    [Fact]
    public async Task AcceptAsync_InlineFailsFast_SendLandsAndItsAnswerComesLaterThanTheEnqueueTimeout_Is202()
    {
        // The inline revert fails at once (throttled), so the change is queued; the queue takes it but answers 2.2 s
        // later. The enqueue timeout alone (2 s) would have answered 503 for a change that is queued (a false 503 and a
        // duplicate delivery); the attempt's deadline (inline budget 1.5 s + enqueue 2 s) leaves the send its time.
        await ThrottledRevokeAsync();
        var late = new LateAnswer(TimeSpan.FromSeconds(2.2));
        var (intake, queue) = Build(late, new IntakeOptions { InlineBudget = TimeSpan.FromSeconds(1.5), EnqueueTimeout = TimeSpan.FromSeconds(2) });

        var result = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);

        var stored = (await queue.PeekMessagesAsync(32)).Value;
        Assert.Single(stored); // the change is queued …
        Assert.True(result.StatusCode == 202, result.Detail); // … and the answer says so
        Assert.Equal("Accepted", result.Title);
        Assert.Equal(1, late.Sends);
    }

    [Fact]
    public async Task AcceptAsync_SendAnswersAfterTheWholeAttempt_Is503AtTheDeadline_OutcomeUnknown()
    {
        // The answer comes after the attempt's deadline: the intake cannot know the send landed, so it answers 503
        // (EventBridge retries). The copy that did land carries the event id: processing it and the retry records once
        // (InlineRevertTests.AcceptAsync_DuplicateDelivery_RevokesOnceRecordsOnce). This is the one 503 that may be false.
        await ThrottledRevokeAsync();
        var (intake, queue) = Build(new LateAnswer(TimeSpan.FromSeconds(3)), new IntakeOptions { RevertInline = false, EnqueueTimeout = TimeSpan.FromSeconds(1) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);
        clock.Stop();

        Assert.Equal(503, result.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"Answered after {clock.Elapsed.TotalSeconds:0.00} s: the deadline did not hold.");
        Assert.Single((await queue.PeekMessagesAsync(32)).Value);
    }

    /// <summary>Lets every request through at once (the copy's send, its withdrawal).</summary>
    private sealed class NoFault : HttpPipelinePolicy
    {
        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNextAsync(message, pipeline);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);
    }

    [Fact]
    public async Task AcceptAsync_InlinePastItsBudget_FinishingBeforeTheDeadline_IsProcessed_AndTheCopyIsWithdrawn()
    {
        // The inline revoke takes 1.2 s against a budget of 0.5 s: a copy is queued (invisible for 30 s), the revoke
        // finishes inside the attempt's deadline (0.5 + 2 s). Was: answered 202 "queued" at the budget, and the copy ran
        // 30 s later for nothing (a receive, a request read, a delete). Now: answered "processed", the copy taken back.
        _bridge.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await _bridge.OnboardAsync();
        _bridge.Ec2.Rules.Add(TestData.Tcp(22, "0.0.0.0/0", "temporary ssh", "sgr-0a1b2c3d4e5f60001"));
        _bridge.Ec2.DuringWrite = () => Task.Delay(TimeSpan.FromSeconds(1.2));
        var (intake, queue) = Build(new NoFault(), new IntakeOptions { InlineBudget = TimeSpan.FromSeconds(0.5), EnqueueTimeout = TimeSpan.FromSeconds(2) });

        var result = await intake.AcceptAsync(Event(), "application/json", CancellationToken.None);

        Assert.Equal((202, "Processed", ProcessOutcome.Reverted), (result.StatusCode, result.Title, result.Outcome));
        Assert.EndsWith("Done past the inline budget; its fallback copy: withdrawn.", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount); // invisible messages count here too
        Assert.DoesNotContain(_bridge.Ec2.Rules, r => r.RuleId == "sgr-0a1b2c3d4e5f60001");
    }
}
