using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using Xunit.Abstractions;
using static SgBridge.Tests.Faults.FaultHarness;

namespace SgBridge.Tests.Faults;

/// <summary>
/// An approver's click while storage fails (Azurite's queue or table behind a closed port or a listener that never
/// answers, with the app's own default timeouts): Slack gets its answer within 3 seconds and it says what happened —
/// recorded (the apply then runs from the effects worker once the queue is back, re-driven by the catch-up), not
/// recorded (nothing changed: click again), or not confirmed (a write was sent; its outcome is unknown).
/// </summary>
[Collection(FaultCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClickFaultTests(AzuriteFixture azurite, MotoFixture moto, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Slack's limit for the interaction endpoint's answer.</summary>
    private static readonly TimeSpan SlackLimit = TimeSpan.FromSeconds(3);

    private FaultHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await FaultHarness.StartAsync(azurite, moto);
        // The ephemeral replies are recorded.
        _h.Slack.Given(Request.Create().WithPath("/api/chat.postEphemeral").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true,\"message_ts\":\"1.1\"}"));
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    /// <summary>A person adds SSH from anywhere to an onboarded group; the bridge reverts it and asks the approvers.</summary>
    private async Task<(string Group, ChangeRequest Request, SlackMessageRef Message)> PendingSshAsync()
    {
        var group = await CreateGroupAsync(_ec2);
        await AddAsync(_ec2, group, 443, "10.0.0.0/8", "https");
        await _h.OnboardAsync();
        // The requester is known to Slack (so one approver decides: not the unresolved-requester two-approver rule).
        var change = _h.Added(group, await AddAsync(_ec2, group, 22, "0.0.0.0/0", "temp")) is var c
            ? c with { Requester = c.Requester with { SlackUserId = "UALICE" } }
            : null!;
        await _h.SendAsync(QueueNames.Changes, change);
        Assert.Equal(new PumpResult(0, 0), await _h.PumpAsync());
        var request = (await _h.RequestAsync(change.EventId))!;
        Assert.Equal(RequestStatus.Pending, request.Status);
        var batch = await _h.Services.GetRequiredService<ISlackThreadStore>().FindBatchOfAsync(request, CancellationToken.None);
        return (group, request, batch!.Value.Thread!.Value.ApproverMessage!);
    }

    private async Task<(int Status, TimeSpan Took)> ClickAsync(string actionId, string requestId, SlackMessageRef message, string user = "UAPPROVER1")
    {
        var body = SlackSigning.ClickBody(actionId, requestId, user, message.Channel, message.Ts);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/x-www-form-urlencoded";
        context.Request.Headers["X-Slack-Request-Timestamp"] = ts.ToString(CultureInfo.InvariantCulture);
        context.Request.Headers["X-Slack-Signature"] = SlackSigning.Sign(body, ts, SlackSigning.Secret);
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        var function = ActivatorUtilities.CreateInstance<ReceiveSlackInteraction>(_h.Services);
        var clock = Stopwatch.StartNew();
        var result = await function.RunAsync(context.Request, CancellationToken.None);
        var took = clock.Elapsed;
        return (((IStatusCodeActionResult)result).StatusCode ?? 200, took);
    }

    private List<string> Ephemerals() =>
        _h.Slack.LogEntries.Where(e => e.RequestMessage.Path == "/api/chat.postEphemeral")
            .Select(e => (string?)JsonNode.Parse(e.RequestMessage.Body!)!["text"] ?? "").ToList();

    /// <summary>The effects catch-up as its timer runs it, at a time when the approval's effects are overdue.</summary>
    private Task<int> CatchUpAsync() => new EffectsCatchUp(
        // The table store itself (the harness wraps the registered store to inject crashes, and the wrapper keeps no index).
        new TableRequestStore(_h.Services.GetRequiredService<Azure.Data.Tables.TableServiceClient>(), _h.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SgBridge.Shared.Options.StorageOptions>>()),
        _h.Services.GetRequiredService<IQueueSender>(),
        new FakeTimeProvider(DateTimeOffset.UtcNow + EffectsCatchUp.StuckAfter + TimeSpan.FromSeconds(1)), _h.Telemetry, NullLogger<EffectsCatchUp>.Instance)
        .RunAsync(CancellationToken.None);

    /// <summary>
    /// Was: the click was answered 500 after 21.7 s (the queue SDK's retries), the approval recorded, applied ~11 minutes
    /// later by the catch-up. Now: the click answers within 3 s (the nudge is bounded at 1 s), the approval is recorded
    /// with its apply on the row, and once the queue is back the catch-up re-drives it (within EffectsCatchUp.WorstDelay,
    /// 2 minutes) and the effects worker applies it.
    /// </summary>
    [MotoTheory]
    [InlineData(TableFault.Refused)]
    [InlineData(TableFault.Hanging)]
    public async Task Approve_WhileTheQueueFails_IsAnsweredWithin3s_Recorded_AndAppliedByTheEffectsWorkerOnceTheQueueIsBack(TableFault queue)
    {
        var (group, request, message) = await PendingSshAsync();
        await _h.StorageAsync(TableFault.None, queue, appTimeouts: true);

        var (status, took) = await ClickAsync(ActionIds.Approve, request.Id, message);

        output.WriteLineSafe($"approve with the queue {queue}: answered {status} in {took.TotalMilliseconds:0} ms");
        Assert.Equal(200, status);
        Assert.InRange(took, TimeSpan.Zero, SlackLimit);
        Assert.Empty(Ephemerals()); // an approval that was recorded needs no private reply: the message shows it
        var approved = (await _h.RequestAsync(request.EventId))!;
        Assert.Equal((RequestStatus.Approved, "UAPPROVER1"), (approved.Status, approved.DecidedBy));
        Assert.Contains(approved.Effects, e => e.Kind == EffectKind.Apply);
        Assert.Equal([443], await IngressPortsAsync(_ec2, group));

        await _h.StorageAsync(TableFault.None);
        Assert.Equal(1, await CatchUpAsync());
        Assert.Equal(new PumpResult(0, 0), await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await _h.RequestAsync(request.EventId))!.Status);
        Assert.Equal([22, 443], (await IngressPortsAsync(_ec2, group)).Order());
    }

    /// <summary>
    /// Table Storage refusing or hanging with the app's default timeouts (3 s a try, 3 tries: ≥ 9 s per call): the click's
    /// deadline stops the reads, the answer comes within 3 s and says nothing was recorded; nothing was. Once storage
    /// is back the same click decides.
    /// </summary>
    [MotoTheory]
    [InlineData(TableFault.Refused)]
    [InlineData(TableFault.Hanging)]
    public async Task Approve_WhileTableStorageFails_IsAnsweredWithin3s_SayingNothingWasRecorded(TableFault tables)
    {
        var (_, request, message) = await PendingSshAsync();
        await _h.StorageAsync(tables, TableFault.None, appTimeouts: true);

        var (status, took) = await ClickAsync(ActionIds.Approve, request.Id, message);

        output.WriteLineSafe($"approve with Table Storage {tables}: answered {status} in {took.TotalMilliseconds:0} ms; told: {string.Join(" | ", Ephemerals())}");
        Assert.Equal(200, status);
        Assert.InRange(took, TimeSpan.Zero, SlackLimit);
        Assert.Contains(Ephemerals(), t => t.Contains("nothing was recorded", StringComparison.Ordinal) && t.Contains(request.Id, StringComparison.Ordinal));
        await _h.StorageAsync(TableFault.None);
        Assert.Equal(RequestStatus.Pending, (await _h.RequestAsync(request.EventId))!.Status);

        var (again, _) = await ClickAsync(ActionIds.Approve, request.Id, message);
        Assert.Equal(200, again);
        Assert.Equal(RequestStatus.Approved, (await _h.RequestAsync(request.EventId))!.Status);
    }

    /// <summary>
    /// The decision's write fails after it was sent (the table store throws on the replace, as a write whose answer
    /// was lost): the answer is "not confirmed", never "nothing changed".
    /// </summary>
    [MotoFact]
    public async Task Deny_WhoseWriteFails_IsAnsweredNotConfirmed()
    {
        var (_, request, message) = await PendingSshAsync();
        _h.Crash.Armed = 1;

        var (status, took) = await ClickAsync(ActionIds.Deny, request.Id, message);

        Assert.Equal(200, status);
        Assert.InRange(took, TimeSpan.Zero, SlackLimit);
        Assert.Contains(Ephemerals(), t => t.Contains("could not confirm", StringComparison.Ordinal) && t.Contains(request.Id, StringComparison.Ordinal));
        Assert.DoesNotContain(Ephemerals(), t => t.Contains("nothing was recorded", StringComparison.Ordinal));
    }
}
