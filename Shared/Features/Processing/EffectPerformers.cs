using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;

namespace SgBridge.Shared.Approvals;

/// <summary><see cref="EffectKind.Render"/>: the request's Slack messages (<see cref="NotificationService.ShowAsync"/>).</summary>
public sealed class RenderPerformer(NotificationService notifications) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.Render;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) =>
        notifications.ShowAsync(request, attempt.Again, cancellationToken);
}

/// <summary><see cref="EffectKind.Apply"/>: carries out the approval (<see cref="ApplyService.ApplyAsync"/>).</summary>
public sealed class ApplyPerformer(ApplyService applier) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.Apply;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) =>
        applier.ApplyAsync(request, attempt.DequeueCount, cancellationToken);
}

/// <summary><see cref="EffectKind.AskReason"/>: the requester's DM asking why (<see cref="RevertReasonService.AskAsync"/>).</summary>
public sealed class AskReasonPerformer(RevertReasonService reasons) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.AskReason;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) =>
        reasons.AskAsync(request, cancellationToken);
}

/// <summary><see cref="EffectKind.BreakGlassNotice"/>: the loud notice of a self-approval (<see cref="RoutingService.TellBreakGlassAsync"/>).</summary>
public sealed class BreakGlassPerformer(RoutingService routing) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.BreakGlassNotice;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) =>
        routing.TellBreakGlassAsync(request, effect.By ?? request.DecidedBy ?? "?", cancellationToken);
}

/// <summary>The time-bound access notices (<see cref="AccessNotifier"/>): granted, ended (monitoring thread), ended (requester's DM).</summary>
public sealed class AccessNoticePerformer(AccessNotifier notifier, EffectKind kind) : IEffectPerformer
{
    public EffectKind Kind => kind;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) => kind switch
    {
        EffectKind.AccessGranted => notifier.AccessGrantedAsync(request, cancellationToken),
        EffectKind.AccessEndedNotice => notifier.AccessEndedInThreadAsync(request, cancellationToken),
        EffectKind.AccessEndedDm => notifier.AccessEndedToRequesterAsync(request, cancellationToken),
        _ => throw new InvalidOperationException($"{kind} is not an access notice."),
    };
}

/// <summary>
/// <see cref="EffectKind.EndAccessNow"/>: an approver's early revoke, ended in AWS at once (<see cref="AccessExpiryService.EndNowAsync"/>)
/// from the expiry index row the click wrote; the <c>ExpireAccess</c> tick does the same within a minute otherwise.
/// </summary>
public sealed class EndAccessNowPerformer(AccessExpiryService expiry) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.EndAccessNow;

    public async Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken)
    {
        if (request.GroupId is null || request.AccessEndedAt is not { } at)
        {
            return;
        }
        await expiry.EndNowAsync(new AccessExpiryEntry(at, request.Id, request.AccountId, request.Region, request.GroupId, AccessEndKind.Revoke, request.AccessEndedBy), cancellationToken);
    }
}

/// <summary>
/// <see cref="EffectKind.DecisionDm"/>: the requester of a request asked for in Slack is told its decision in a DM
/// (<see cref="ApprovalMessageBuilder.DecisionDm"/>). A Slack failure escapes: the effect stays pending and is retried.
/// </summary>
public sealed class DecisionDmPerformer(ISlackClient slack) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.DecisionDm;

    public async Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken)
    {
        if (request.Slack is not { } origin || ApprovalMessageBuilder.DecisionDm(request) is not { } dm)
        {
            return;
        }
        await slack.PostMessageAsync(origin.UserId, dm.Text, dm.Blocks, null, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary><see cref="EffectKind.RefreshHome"/>: the Home tabs that show the request are published again (<see cref="HomeTabService.RefreshAsync"/>).</summary>
public sealed class RefreshHomePerformer(HomeTabService home) : IEffectPerformer
{
    public EffectKind Kind => EffectKind.RefreshHome;

    public Task PerformAsync(ChangeRequest request, PendingEffect effect, EffectTry attempt, CancellationToken cancellationToken) =>
        home.RefreshAsync(request, cancellationToken);
}
