using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// Tells people about time-bound access: the requester (a direct message, where the requester maps to a Slack user)
/// when access is granted (with "Ask to extend") and when it ends; the request's monitoring thread when it ends or
/// cannot be ended. A Slack failure here never undoes or holds up the access change: it is logged and counted
/// (<c>sgbridge.failures{kind=access_notice}</c>); the request's status and its re-rendered messages still show it.
/// </summary>
public sealed partial class AccessNotifier(
    ISlackClient slack,
    ISlackThreadStore threads,
    ApproverDirectory approvers,
    IOptions<SlackOptions> options,
    ILogger<AccessNotifier> logger,
    BridgeTelemetry? telemetry = null,
    IRequestStore? requests = null,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task AccessGrantedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = ApprovalMessageBuilder.AccessGranted(request);
        await SafelyAsync(request.Id, async ct =>
        {
            if (await approvers.FindSlackUserAsync(request.Requester, ct) is { } user)
            {
                await slack.PostMessageAsync(user, message.Text, message.Blocks, null, ct);
            }
        }, cancellationToken);
    }

    public async Task AccessEndedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = ApprovalMessageBuilder.AccessEndedText(request);
        await SafelyAsync(request.Id, async ct =>
        {
            var monitoring = await MonitoringThreadAsync(request, request.Id, ct);
            await slack.PostMessageAsync(monitoring?.Channel ?? options.Value.MonitoringChannel, text, null, monitoring?.Ts, ct);
        }, cancellationToken);
        await SafelyAsync(request.Id, async ct =>
        {
            if (await approvers.FindSlackUserAsync(request.Requester, ct) is { } user)
            {
                await slack.PostMessageAsync(user, text, null, null, ct);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Tells that access ended (<see cref="AccessEndedAsync"/>) once per request however many runners finish the same
    /// end (the expiry tick and the queued early revoke at once, a redelivered message, a tick after a crash): a
    /// conditional write in the Slack state table claims the notice before the posts and records it after them. True:
    /// told now or before. False: another runner holds a fresh claim (younger than <see cref="NoticeClaimTimeout"/>),
    /// so the caller keeps its work item and tries again later: if that runner died before posting, a later try takes
    /// the stale claim over and tells. So the notice is <b>at least once</b>: it repeats only after a crash between
    /// the posts and the write that records them (Slack's chat.postMessage has no idempotency key, so nothing can make
    /// that window exactly-once), and it is never lost — an access change nobody hears about is the worse failure.
    /// </summary>
    public async Task<bool> AccessEndedOnceAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();
        var row = NoticeRow(request.Id);
        var claim = await threads.UpdateAsync(row, t => t is null || (!t.Told && now - t.ClaimedAt >= NoticeClaimTimeout) ? new AccessEndNotice(now, Told: false) : null, cancellationToken);
        if (!claim.Written)
        {
            return claim.Stored?.Value.Told == true;
        }
        await AccessEndedAsync(request, cancellationToken);
        await threads.UpdateAsync(row, t => t is { Told: false } ? t with { Told = true } : null, cancellationToken);
        return true;
    }

    /// <summary>How long a claim on an access-ended notice holds before another runner may take it over (the claimer died).</summary>
    public static readonly TimeSpan NoticeClaimTimeout = TimeSpan.FromMinutes(2);

    internal static SlackRow<AccessEndNotice> NoticeRow(string requestId) => new(requestId, "accessended");

    public async Task AccessEndFailedAsync(AccessExpiryEntry entry, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = ApprovalMessageBuilder.AccessEndFailedText(entry, reason);
        await SafelyAsync(entry.RequestId, async ct =>
        {
            var monitoring = await MonitoringThreadAsync(null, entry.RequestId, ct);
            await slack.PostMessageAsync(monitoring?.Channel ?? options.Value.MonitoringChannel, text, null, monitoring?.Ts, ct);
        }, cancellationToken);
    }

    /// <summary>The monitoring message of the batch showing the request (its rows are found from the request; without it, the previous layout's).</summary>
    private async Task<SlackMessageRef?> MonitoringThreadAsync(ChangeRequest? request, string requestId, CancellationToken ct)
    {
        request ??= requests is null ? null : (await requests.GetAsync(requestId, ct))?.Value;
        if (request is not null)
        {
            return (await threads.FindBatchOfAsync(request, ct))?.Thread?.Value.MonitoringMessage;
        }
        var member = await threads.GetAsync(SlackRows.Member(requestId), ct);
        return member is null ? null : (await threads.GetAsync(SlackRows.Thread(member.Value.LeadId), ct))?.Value.MonitoringMessage;
    }

    private async Task SafelyAsync(string requestId, Func<CancellationToken, Task> send, CancellationToken ct)
    {
        try
        {
            await send(ct);
        }
        catch (Exception ex) when (ex is SlackApiException or SlackRateLimitedException or HttpRequestException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogNoticeFailed(logger, ex, requestId);
            telemetry?.Failures.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Kind, "access_notice"));
        }
    }

    [LoggerMessage(1321, LogLevel.Warning, "Could not tell Slack about the access of request {RequestId}")]
    private static partial void LogNoticeFailed(ILogger logger, Exception exception, string requestId);
}

/// <summary>The access-ended notice of one request: claimed at <paramref name="ClaimedAt"/>; <paramref name="Told"/> once posted.</summary>
public sealed record AccessEndNotice(DateTimeOffset ClaimedAt, bool Told);
