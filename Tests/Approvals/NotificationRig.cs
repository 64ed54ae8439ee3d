using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Slack;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// The notification path over the fakes, batching on (window 2 min, at most 3 per batch, renders debounced 3 s), with
/// the requester alice@example.com known to Slack: what the notification-path test classes share.
/// </summary>
public abstract class NotificationRig
{
    protected NotificationRig(DateTimeOffset start)
    {
        Time = new FakeTimeProvider(start);
        Rig = new SlackRig(new SlackOptions
        {
            BotToken = "xoxb-t", SigningSecret = SlackSigning.Secret, ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR",
            ApproverUserIds = "UA,UB", BatchWindow = TimeSpan.FromMinutes(2), BatchMaxSize = 3, BatchRenderDelay = TimeSpan.FromSeconds(3),
        }, Time);
        Rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
    }

    protected FakeTimeProvider Time { get; }

    protected SlackRig Rig { get; }

    /// <summary>A reverted change on TCP <paramref name="port"/> from the internet, stored Pending.</summary>
    protected async Task<ChangeRequest> PendingAsync(int port)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString()) with { Rules = [TestData.Tcp(port, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Time.GetUtcNow());
        r.MarkReverted(new CallOutcome("revoke", true), Time.GetUtcNow());
        await Rig.Requests.AddOrGetAsync(r, default);
        return r;
    }

    /// <summary>The notification the worker sends: the request as it stored it, carried.</summary>
    protected static RequestNotification Carrying(ChangeRequest r) => new(r.Id, r.Status, Request: r);

    protected Task NotifyAsync(RequestNotification n) => Rig.NotifyAsync(n);
}
