using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>
/// The Slack side of the <see cref="Bridge"/> composition (AddSgBridge with fakes), with these Slack options and clock:
/// the notifier, the effects worker, the Home tab, the one inbound endpoint, and signed clicks. Not a composition of its
/// own: every service comes from the bridge's graph.
/// </summary>
public sealed class SlackRig
{
    private readonly BlastRadiusReader _reader;

    public SlackRig(SlackOptions options, FakeTimeProvider time, PolicyOptions? policy = null)
    {
        Bridge = new Bridge { SlackOptions = options, Time = time, Policy = policy ?? new PolicyOptions { AllowedAccounts = TestData.Account } };
        // One reader (and cache) per rig, as the host keeps one singleton.
        _reader = new(Bridge.Ec2, O.Create(Bridge.BlastRadius), time, NullLogger<BlastRadiusReader>.Instance);
        Bridge.Replacements.Add(s => s.Replace(ServiceDescriptor.Singleton(_reader)));
    }

    public Bridge Bridge { get; }
    public InMemoryRequestStore Requests => Bridge.Requests;

    /// <summary>The access-expiry index (the Home tab lists live time-bound access from it).</summary>
    public InMemoryAccessExpiryIndex Expiries => Bridge.Expiries;
    public InMemorySlackThreadStore Threads => Bridge.Threads;
    public RecordingQueue Queue => Bridge.Queue;
    public RecordingSlackClient Slack => Bridge.Slack;
    public SlackOptions Options => Bridge.SlackOptions;
    public FakeTimeProvider Time => Bridge.Time;
    public PolicyOptions Policy => Bridge.Policy;

    /// <summary>EC2 for the blast radius and group tags.</summary>
    public FakeSecurityGroupClient Ec2 => Bridge.Ec2;
    public BlastRadiusOptions BlastRadius => Bridge.BlastRadius;
    public BridgeTelemetry Telemetry => Bridge.Telemetry;

    /// <summary>Slack's views.open (the reason and request modals).</summary>
    public SgBridge.Tests.Slack.Requests.RecordingViews Views => Bridge.Views;

    public BlastRadiusReader Reader() => _reader;

    public RoutingService Routing() => Bridge.Routing();

    /// <summary>The routing service of the same graph over other stores or another Slack client (a lossy one, a WireMock one).</summary>
    public RoutingService Routing(IRequestStore requests, ISlackThreadStore threads, ISlackClient slack) =>
        Over(requests, threads, slack).GetRequiredService<RoutingService>();

    /// <summary>The graph with other stores or another Slack client in place of the rig's fakes.</summary>
    public IServiceProvider Over(IRequestStore requests, ISlackThreadStore threads, ISlackClient slack) => Bridge.Services(s =>
    {
        s.Replace(ServiceDescriptor.Singleton(requests));
        s.Replace(ServiceDescriptor.Singleton(threads));
        s.Replace(ServiceDescriptor.Singleton(slack));
    });

    public NotificationService Notifier() => Bridge.Notifications();

    /// <summary>Shows a request (the Render effect) or does a debounced render, as the effects worker would.</summary>
    public Task NotifyAsync(RequestNotification n) => Notifier().NotifyAsync(n, Requests);

    /// <summary>The effects worker of the graph: one performer per effect kind.</summary>
    public EffectsWorker Effects() => Bridge.Effects();

    /// <summary>The Home tab (its viewers in <see cref="Threads"/>, its tabs in <see cref="Slack"/>).</summary>
    public HomeTabService Home() => Bridge.Home();

    /// <summary>Performs the pending effects of <paramref name="kind"/> on the request, as a nudge naming them would.</summary>
    public async Task PerformAsync(string requestId, SgBridge.Shared.Domain.EffectKind kind)
    {
        var request = (await Requests.GetAsync(requestId, default))!.Value;
        await Effects().PerformAsync(new NudgeEffects(requestId, request.Effects.Where(e => e.Kind == kind).Select(e => e.Id).ToArray()), 1, default);
    }

    public RequestLifecycle Lifecycle() => Bridge.Lifecycle();

    /// <summary>The one Slack inbound endpoint (both triggers' pipeline).</summary>
    public SlackEndpoint Endpoint() => Bridge.Get<SlackEndpoint>();

    /// <summary>A signed click from the given message (default: the approvers' message that shows <paramref name="requestId"/>).</summary>
    public async Task<DecisionResult> ClickAsync(string actionId, string requestId, string user, string? channel = null, string? ts = null, long? timestamp = null, string? secret = null)
    {
        if (channel is null || ts is null)
        {
            var member = Threads.Membership(requestId);
            var message = member is null ? null : Threads.Thread(member.LeadId)?.ApproverMessage;
            channel ??= message?.Channel ?? Options.ApproversChannel;
            ts ??= message?.Ts ?? "1001.000100";
        }
        return await PostAsync(SlackSigning.ClickBody(actionId, requestId, user, channel, ts), timestamp, secret);
    }

    /// <summary>Any click as Slack sends it (message, DM or Home tab), signed, through the endpoint.</summary>
    public Task<DecisionResult> ClickAsync(SlackInteraction click) => PostAsync(SlackSigning.Body(click));

    /// <summary>A signed interactions body through the endpoint.</summary>
    public Task<DecisionResult> PostAsync(string body, long? timestamp = null, string? secret = null)
    {
        var at = timestamp ?? Time.GetUtcNow().ToUnixTimeSeconds();
        return Endpoint().HandleInteractionAsync(Encoding.UTF8.GetBytes(body), at.ToString(CultureInfo.InvariantCulture), SlackSigning.Sign(body, at, secret ?? SlackSigning.Secret), default);
    }
}
