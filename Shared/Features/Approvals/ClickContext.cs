using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>What a click needs read before its handler runs (<see cref="ClickContexts.BuildAsync"/>).</summary>
public enum ClickScope
{
    /// <summary>The request the click names (a DM's button: the reason, an extension).</summary>
    Request,

    /// <summary>The request, on the approvers' message that shows it (or the clicker's Home tab), with its batch and route.</summary>
    RequestOnItsMessage,

    /// <summary>The batch the request leads, on the approvers' message that shows it (never from the Home tab), with its route.</summary>
    BatchOnItsMessage,
}

/// <summary>
/// A click, with everything read for it before any handler runs: the request it names, the batch and the message that
/// show it, the route it was sent on, and — asked of Slack at most once each, within one budget that keeps the answer
/// inside Slack's 3 seconds — whether the clicker is an approver and who the requester is. A look-up that fails decides
/// nothing (<see cref="ClickFailure.Unverified"/>: the endpoint answers "could not verify").
/// </summary>
public sealed class ClickContext(SlackInteraction click, Stored<ChangeRequest> request, Stored<SlackThread>? thread, ApprovalRoute? route,
    ApproverDirectory approvers, CancellationToken handlerToken) : IDisposable
{
    /// <summary>How long the click's Slack look-ups may take together (the private reply has its own budget).</summary>
    public static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(1.5);

    private CancellationTokenSource? _budget;
    private Task<bool>? _isApprover;
    private Task<RequesterIdentity>? _requester;

    public SlackInteraction Click { get; } = click;

    /// <summary>The request the click names, as read before the handler ran.</summary>
    public Stored<ChangeRequest> Request { get; } = request;

    public string RequestId => Request.Value.Id;

    /// <summary>The batch whose message the click came from (null for a Home tab or DM click).</summary>
    public Stored<SlackThread>? Thread { get; } = thread;

    /// <summary>True when the clicker may approve their own change (Slack:BreakGlassUserIds).</summary>
    public bool ClickerIsBreakGlass => approvers.IsBreakGlass(Click.UserId);

    /// <summary>Whether the clicker is an approver of the route the batch was sent on (null: the global approvers); asked once, within the budget.</summary>
    public Task<bool> IsApproverAsync() =>
        _isApprover ??= LookupAsync(ct => route is { } r ? approvers.IsApproverAsync(Click.UserId, r, ct) : approvers.IsApproverAsync(Click.UserId, ct));

    /// <summary>The Slack user behind the request's requester (asked once, within the budget).</summary>
    public Task<RequesterIdentity> RequesterAsync() =>
        _requester ??= LookupAsync(ct => approvers.ResolveRequesterAsync(Request.Value.Requester, ct));

    /// <summary>True when the clicker is the request's requester.</summary>
    public async Task<bool> ClickerIsRequesterAsync() => (await RequesterAsync()).SlackUserId == Click.UserId;

    private async Task<T> LookupAsync<T>(Func<CancellationToken, Task<T>> lookup)
    {
        // One budget for all of the click's look-ups, started by the first.
        if (_budget is null)
        {
            _budget = CancellationTokenSource.CreateLinkedTokenSource(handlerToken);
            _budget.CancelAfter(LookupBudget);
        }
        try
        {
            return await lookup(_budget.Token);
        }
        catch (Exception ex) when (SlackFailure.Is(ex, handlerToken))
        {
            throw new ClickFailedException(ClickFailure.Unverified, RequestId, ex);
        }
    }

    public void Dispose() => _budget?.Dispose();
}

/// <summary>What a click that failed before its answer can truthfully say.</summary>
public enum ClickFailure
{
    /// <summary>Slack could not be asked in time who the clicker is (user group, requester e-mail): nothing was decided.</summary>
    Unverified,

    /// <summary>Storage failed or was slow (or the click's deadline came) before anything was written: nothing was recorded.</summary>
    NotRecorded,

    /// <summary>A conditional write was sent but not confirmed (failed or cut short by the deadline): it may have been recorded.</summary>
    Unconfirmed,
}

/// <summary>A click failed on <see cref="RequestId"/>; the endpoint answers what <see cref="Failure"/> says (never "nothing changed" when unconfirmed).</summary>
public sealed class ClickFailedException(ClickFailure failure, string requestId, Exception inner)
    : Exception($"The click on {requestId} failed: {failure}.", inner)
{
    public ClickFailure Failure { get; } = failure;

    public string RequestId { get; } = requestId;
}

/// <summary>
/// Builds a <see cref="ClickContext"/> for a click before any handler runs: point reads only (the request, its batch
/// rows, the recorded route). A click that names no request, or comes from a message that does not show it, is refused
/// here — nothing is read further and no handler runs.
/// </summary>
public sealed class ClickContexts(IRequestStore requests, ISlackThreadStore threads, RoutingService routing, ApproverDirectory approvers)
{
    /// <summary>The context, or the refusal to answer with. Storage failures escape (nothing was written).</summary>
    public async Task<(ClickContext? Context, DecisionResult? Refused)> BuildAsync(SlackInteraction click, string? requestId, ClickScope scope, CancellationToken cancellationToken)
    {
        if (!RequestId.IsWellFormed(requestId))
        {
            return (null, new DecisionResult(DecisionOutcome.BadRequest, "The button does not carry a request id."));
        }
        var id = requestId!;
        if (scope == ClickScope.BatchOnItsMessage && click.FromHome)
        {
            // The Home tab offers each request's own choices, never a batch's.
            return (null, NotOnThisMessage(id));
        }
        var stored = await requests.GetAsync(id, cancellationToken);
        if (stored is null)
        {
            return (null, Unknown(id));
        }
        switch (scope)
        {
            case ClickScope.Request:
                return (new ClickContext(click, stored, null, null, approvers, cancellationToken), null);
            case ClickScope.RequestOnItsMessage:
            {
                var batch = await threads.FindBatchOfAsync(stored.Value, cancellationToken);
                // A Home tab shows every request waiting for the clicker (the approver check is that same test); a message
                // shows the requests of its batch.
                if (!click.FromHome && batch?.Thread?.Value.ShowsInApproverMessage(click.ChannelId, click.MessageTs, id) != true)
                {
                    return (null, NotOnThisMessage(id));
                }
                // The approvers of the route the message was sent on (the global ones unless the route includes them).
                var route = await routing.RouteForClickAsync(batch?.LeadId ?? id, stored.Value, cancellationToken);
                return (new ClickContext(click, stored, click.FromHome ? null : batch?.Thread, route, approvers, cancellationToken), null);
            }
            default:
            {
                var thread = await threads.FindLedBatchAsync(stored.Value, cancellationToken);
                if (thread is null || thread.Value.MemberIds.Count < 2)
                {
                    return (null, Unknown(id));
                }
                if (!thread.Value.ShowsInApproverMessage(click.ChannelId, click.MessageTs, id))
                {
                    return (null, NotOnThisMessage(id));
                }
                var route = await routing.RouteForClickAsync(id, stored.Value, cancellationToken);
                return (new ClickContext(click, stored, thread, route, approvers, cancellationToken), null);
            }
        }
    }

    private static DecisionResult Unknown(string id) => new(DecisionOutcome.UnknownRequest, id, Reply: DecisionReplies.Unknown(id));

    private static DecisionResult NotOnThisMessage(string id) => new(DecisionOutcome.NotOnThisMessage, id, Reply: DecisionReplies.NotOnThisMessage(id));
}
