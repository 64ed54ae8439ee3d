using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>The plain Approve button approves permanently: refused when Approvals:Durations does not offer "permanent".</summary>
public sealed class ApproveHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.Approve;

    public ClickScope Scope => ClickScope.RequestOnItsMessage;

    public ClickTarget Target(SlackInteraction click) => new(click.Value, PermanentClick.Refused(approvals.Value));

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideAsync(context, approve: true, duration: null, cancellationToken);
}

public sealed class DenyHandler(DecisionService decisions) : IBlockActionHandler
{
    public string ActionId => ActionIds.Deny;

    public ClickScope Scope => ClickScope.RequestOnItsMessage;

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideAsync(context, approve: false, duration: null, cancellationToken);
}

public sealed class ApproveAllHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveAll;

    public ClickScope Scope => ClickScope.BatchOnItsMessage;

    public ClickTarget Target(SlackInteraction click) => new(click.Value, PermanentClick.Refused(approvals.Value));

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideBatchAsync(context, approve: true, duration: null, cancellationToken);
}

public sealed class DenyAllHandler(DecisionService decisions) : IBlockActionHandler
{
    public string ActionId => ActionIds.DenyAll;

    public ClickScope Scope => ClickScope.BatchOnItsMessage;

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideBatchAsync(context, approve: false, duration: null, cancellationToken);
}

/// <summary>
/// Approve for a duration: the action_id names the duration and the request (<see cref="ApprovalDurationActions"/>).
/// A duration that <see cref="ApprovalsOptions.Durations"/> does not offer — a forged button, or one posted before
/// the setting changed — decides nothing.
/// </summary>
public sealed class ApproveForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveFor;

    public ClickScope Scope => ClickScope.RequestOnItsMessage;

    public ClickTarget Target(SlackInteraction click) => DurationClick.Target(click, ActionId, approvals.Value);

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideAsync(context, approve: true, DurationClick.Length(context.Click, ActionId, approvals.Value), cancellationToken);
}

/// <summary>Approve all for a duration, on a batch message.</summary>
public sealed class ApproveAllForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveAllFor;

    public ClickScope Scope => ClickScope.BatchOnItsMessage;

    public ClickTarget Target(SlackInteraction click) => DurationClick.Target(click, ActionId, approvals.Value);

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) =>
        decisions.DecideBatchAsync(context, approve: true, DurationClick.Length(context.Click, ActionId, approvals.Value), cancellationToken);
}

/// <summary>Reads a duration click: the shape, the request id the action_id carries, and the duration offered.</summary>
internal static class DurationClick
{
    public static ClickTarget Target(SlackInteraction click, string prefix, ApprovalsOptions options)
    {
        if (!ApprovalDurationActions.TryRead(click, prefix, out var label, out var requestId) || !Domain.RequestId.IsWellFormed(requestId))
        {
            return new(null, new DecisionResult(DecisionOutcome.BadRequest, "The button's action_id does not name a duration and the request it carries."));
        }
        if (options.Find(label) is null)
        {
            return new(requestId, new DecisionResult(DecisionOutcome.DurationNotOffered, label,
                Reply: $":no_entry: Approving for \"{SlackText.Escape(SlackText.Plain(label, 20))}\" is not offered (Approvals:Durations is {SlackText.Escape(options.Durations)}). Nothing changed for {requestId}."));
        }
        return new(requestId, null);
    }

    public static TimeSpan? Length(SlackInteraction click, string prefix, ApprovalsOptions options)
    {
        ApprovalDurationActions.TryRead(click, prefix, out var label, out _);
        return options.Find(label)!.Length;
    }
}

/// <summary>A plain Approve (permanent) click when Approvals:Durations does not offer "permanent": refused.</summary>
internal static class PermanentClick
{
    public static DecisionResult? Refused(ApprovalsOptions options) =>
        options.Find(ApprovalDuration.PermanentLabel) is not null
            ? null
            : new DecisionResult(DecisionOutcome.DurationNotOffered, ApprovalDuration.PermanentLabel,
                Reply: $":no_entry: Approving permanently is not offered (Approvals:Durations is {SlackText.Escape(options.Durations)}): pick a duration. Nothing changed.");
}
