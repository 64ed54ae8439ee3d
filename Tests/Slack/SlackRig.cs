using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>The Slack side of the bridge on fakes: the notifier, the endpoint with its handlers, and signed clicks.</summary>
public sealed class SlackRig(SlackOptions options, FakeTimeProvider time, PolicyOptions? policy = null)
{
    public InMemoryRequestStore Requests { get; } = new();

    /// <summary>The access-expiry index (the Home tab lists live time-bound access from it).</summary>
    public InMemoryAccessExpiryIndex Expiries { get; } = new();
    public InMemorySlackThreadStore Threads { get; } = new();
    public RecordingQueue Queue { get; } = new();
    public RecordingSlackClient Slack { get; } = new();
    public SlackOptions Options => options;
    public FakeTimeProvider Time => time;

    public PolicyOptions Policy { get; } = policy ?? new PolicyOptions { AllowedAccounts = TestData.Account };

    /// <summary>EC2 for the blast radius and group tags.</summary>
    public FakeSecurityGroupClient Ec2 { get; } = new();

    public BlastRadiusOptions BlastRadius { get; } = new();

    public BridgeTelemetry Telemetry { get; } = new();

    private ApproverDirectory Directory() => new(Slack, O.Create(options), time);

    private BlastRadiusReader? _reader;

    /// <summary>One reader (and cache) per rig, as the host keeps one.</summary>
    public BlastRadiusReader Reader() => _reader ??= new(Ec2, O.Create(BlastRadius), time, NullLogger<BlastRadiusReader>.Instance);

    public RoutingService Routing() => Routing(Requests, Threads, Slack);

    public RoutingService Routing(SgBridge.Shared.Storage.IRequestStore requests, SgBridge.Shared.Storage.ISlackThreadStore threads, ISlackClient slack) =>
        new(new ApprovalRouter(O.Create(options), O.Create(Policy)), threads, Ec2, Reader(), slack, O.Create(BlastRadius), O.Create(Policy), Telemetry,
            NullLogger<RoutingService>.Instance);

    public NotificationService Notifier() => new(Requests, Threads, Queue, Slack, Directory(), Routing(), O.Create(options),
        O.Create(Policy), time, NullLogger<NotificationService>.Instance, O.Create(new SgBridge.Shared.Options.ApprovalsOptions()));

    /// <summary>Shows a request (the Render effect) or does a debounced render, as the effects worker would.</summary>
    public Task NotifyAsync(RequestNotification n) => Notifier().NotifyAsync(n, Requests);

    /// <summary>The effects worker over this rig: renders and break-glass notices (and any <paramref name="extra"/> performers).</summary>
    public EffectsWorker Effects(params IEffectPerformer[] extra) =>
        new(Lifecycle(), [new RenderPerformer(Notifier()), new BreakGlassPerformer(Routing()), new RefreshHomePerformer(Home()), .. extra], Notifier(), Home(), Queue, NullLogger<EffectsWorker>.Instance);

    /// <summary>The Home tab over this rig (its viewers in <see cref="Threads"/>, its tabs in <see cref="Slack"/>).</summary>
    public HomeTabService Home() => new(Requests, Requests, Expiries, Threads, Directory(), new ApprovalRouter(O.Create(options), O.Create(Policy)), Routing(), Slack,
        O.Create(new SgBridge.Shared.Options.ApprovalsOptions()), O.Create(Policy), time, NullLogger<HomeTabService>.Instance);

    /// <summary>Performs the pending effects of <paramref name="kind"/> on the request, as a nudge naming them would.</summary>
    public async Task PerformAsync(string requestId, SgBridge.Shared.Domain.EffectKind kind, params IEffectPerformer[] extra)
    {
        var request = (await Requests.GetAsync(requestId, default))!.Value;
        await Effects(extra).PerformAsync(new NudgeEffects(requestId, request.Effects.Where(e => e.Kind == kind).Select(e => e.Id).ToArray()), 1, default);
    }

    public RequestLifecycle Lifecycle() => new(Requests, Queue, Telemetry, NullLogger<RequestLifecycle>.Instance);

    public DecisionService Decisions() => new(Directory(), Routing(), Requests, Threads, Lifecycle(), O.Create(options), time,
        NullLogger<DecisionService>.Instance);

    public SlackInteractionEndpoint Endpoint()
    {
        var decisions = Decisions();
        return new SlackInteractionEndpoint(new SlackRequestVerifier(O.Create(options), time), new SlackInteractionParser(),
            [new ApproveHandler(decisions), new DenyHandler(decisions), new ApproveAllHandler(decisions), new DenyAllHandler(decisions)],
            Slack, NullLogger<SlackInteractionEndpoint>.Instance);
    }

    /// <summary>A signed click from the given message (default: the approvers' message that shows <paramref name="requestId"/>).</summary>
    public async Task<DecisionResult> ClickAsync(string actionId, string requestId, string user, string? channel = null, string? ts = null, long? timestamp = null, string? secret = null)
    {
        if (channel is null || ts is null)
        {
            var member = Threads.Membership(requestId);
            var message = member is null ? null : Threads.Thread(member.LeadId)?.ApproverMessage;
            channel ??= message?.Channel ?? options.ApproversChannel;
            ts ??= message?.Ts ?? "1001.000100";
        }
        var body = SlackSigning.ClickBody(actionId, requestId, user, channel, ts);
        var at = timestamp ?? time.GetUtcNow().ToUnixTimeSeconds();
        return await Endpoint().HandleAsync(Encoding.UTF8.GetBytes(body), at.ToString(CultureInfo.InvariantCulture), SlackSigning.Sign(body, at, secret ?? SlackSigning.Secret), default);
    }
}
