using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Approve for a duration: the action_id names the duration and the request (<see cref="ApprovalDurationActions"/>).
/// A duration that <see cref="ApprovalsOptions.Durations"/> does not offer — a forged button, or one posted before
/// the setting changed — decides nothing.
/// </summary>
public sealed class ApproveForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveFor;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) =>
        DurationClick.Read(action, ActionId, approvals.Value) is { } refused
            ? Task.FromResult(refused.Result!)
            : decisions.DecideAsync(DurationClick.ForRequest(action, ActionId), approve: true, DurationClick.Length(action, ActionId, approvals.Value), cancellationToken);
}

/// <summary>Approve all for a duration, on a batch message.</summary>
public sealed class ApproveAllForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveAllFor;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) =>
        DurationClick.Read(action, ActionId, approvals.Value) is { } refused
            ? Task.FromResult(refused.Result!)
            : decisions.DecideBatchAsync(DurationClick.ForRequest(action, ActionId), approve: true, DurationClick.Length(action, ActionId, approvals.Value), cancellationToken);
}

/// <summary>Revoke access now: an approver takes an applied approval's access back.</summary>
public sealed class RevokeAccessHandler(AccessDecisionService access) : IBlockActionHandler
{
    public string ActionId => ActionIds.RevokeAccess;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) => access.RevokeAsync(action, cancellationToken);
}

/// <summary>Ask to extend: the requester asks for more time; approvers decide the new request.</summary>
public sealed class ExtendAccessHandler(AccessDecisionService access) : IBlockActionHandler
{
    public string ActionId => ActionIds.ExtendAccess;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) => access.ExtendAsync(action, cancellationToken);
}

/// <summary>Checks a duration click: the shape, the request id in the action_id agreeing with the value, and the duration offered.</summary>
internal static class DurationClick
{
    internal sealed record Refusal(DecisionResult Result);

    public static Refusal? Read(SlackInteraction action, string prefix, ApprovalsOptions options)
    {
        if (!ApprovalDurationActions.TryRead(action, prefix, out var label, out var requestId) || !RequestId.IsWellFormed(requestId))
        {
            return new Refusal(new DecisionResult(DecisionOutcome.BadRequest, "The button's action_id does not name a duration and the request it carries."));
        }
        if (options.Find(label) is null)
        {
            return new Refusal(new DecisionResult(DecisionOutcome.DurationNotOffered, label,
                Reply: $":no_entry: Approving for \"{SlackText.Escape(SlackText.Plain(label, 20))}\" is not offered (Approvals:Durations is {SlackText.Escape(options.Durations)}). Nothing changed for {requestId}."));
        }
        return null;
    }

    public static TimeSpan? Length(SlackInteraction action, string prefix, ApprovalsOptions options)
    {
        ApprovalDurationActions.TryRead(action, prefix, out var label, out _);
        return options.Find(label)!.Length;
    }

    /// <summary>The click as the decision reads it: its value is the request it decides (a select carries none of its own).</summary>
    public static SlackInteraction ForRequest(SlackInteraction action, string prefix) =>
        ApprovalDurationActions.TryRead(action, prefix, out _, out var requestId) ? action with { Value = requestId } : action;
}

/// <summary>A plain Approve (permanent) click when Approvals:Durations does not offer "permanent": refused.</summary>
internal static class PermanentClick
{
    public static DecisionResult? Refused(ApprovalsOptions? options, SlackInteraction action) =>
        options is null || options.Find(ApprovalDuration.PermanentLabel) is not null
            ? null
            : new DecisionResult(DecisionOutcome.DurationNotOffered, ApprovalDuration.PermanentLabel,
                Reply: $":no_entry: Approving permanently is not offered (Approvals:Durations is {SlackText.Escape(options.Durations)}): pick a duration. Nothing changed.");
}
