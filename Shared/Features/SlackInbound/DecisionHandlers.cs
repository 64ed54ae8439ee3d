using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Approve or deny a request or a batch, permanently or for the duration the action_id names. A duration not offered
/// (a forged or outdated button), or a plain Approve when "permanent" is not offered, decides nothing.
/// </summary>
public abstract class DecisionHandler(DecisionService decisions, ApprovalsOptions approvals, string actionId, bool approve, bool batch, bool forDuration)
    : IBlockActionHandler
{
    public string ActionId => actionId;

    public ClickScope Scope => batch ? ClickScope.BatchOnItsMessage : ClickScope.RequestOnItsMessage;

    public ClickTarget Target(SlackInteraction click) =>
        forDuration ? DurationTarget(click) : new(click.Value, approve ? PermanentRefused() : null);

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken)
    {
        TimeSpan? duration = null;
        if (forDuration)
        {
            ApprovalDurationActions.TryRead(context.Click, actionId, out var label, out _);
            duration = approvals.Find(label)!.Length;
        }
        return batch
            ? decisions.DecideBatchAsync(context, approve, duration, cancellationToken)
            : decisions.DecideAsync(context, approve, duration, cancellationToken);
    }

    private ClickTarget DurationTarget(SlackInteraction click)
    {
        if (!ApprovalDurationActions.TryRead(click, actionId, out var label, out var requestId) || !Domain.RequestId.IsWellFormed(requestId))
        {
            return new(null, new DecisionResult(DecisionOutcome.BadRequest, "The button's action_id does not name a duration and the request it carries."));
        }
        if (approvals.Find(label) is null)
        {
            return new(requestId, new DecisionResult(DecisionOutcome.DurationNotOffered, label,
                Reply: $":no_entry: Approving for \"{SlackText.Escape(SlackText.Plain(label, 20))}\" is not offered (Approvals:Durations is {SlackText.Escape(approvals.Durations)}). Nothing changed for {requestId}."));
        }
        return new(requestId, null);
    }

    private DecisionResult? PermanentRefused() =>
        approvals.Find(ApprovalDuration.PermanentLabel) is not null
            ? null
            : new DecisionResult(DecisionOutcome.DurationNotOffered, ApprovalDuration.PermanentLabel,
                Reply: $":no_entry: Approving permanently is not offered (Approvals:Durations is {SlackText.Escape(approvals.Durations)}): pick a duration. Nothing changed.");
}

public sealed class ApproveHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.Approve, approve: true, batch: false, forDuration: false);

public sealed class DenyHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.Deny, approve: false, batch: false, forDuration: false);

public sealed class ApproveAllHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.ApproveAll, approve: true, batch: true, forDuration: false);

public sealed class DenyAllHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.DenyAll, approve: false, batch: true, forDuration: false);

public sealed class ApproveForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.ApproveFor, approve: true, batch: false, forDuration: true);

public sealed class ApproveAllForHandler(DecisionService decisions, IOptions<ApprovalsOptions> approvals)
    : DecisionHandler(decisions, approvals.Value, ActionIds.ApproveAllFor, approve: true, batch: true, forDuration: true);
