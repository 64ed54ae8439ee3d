using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Slack;

/// <summary>"Give a reason" in the requester's DM after a revert.</summary>
public sealed class GiveReasonHandler(RevertReasonService reasons) : IBlockActionHandler
{
    public string ActionId => ActionIds.GiveReason;

    public ClickScope Scope => ClickScope.Request;

    /// <summary>The action_id carries the request id too: they must agree; and the modal needs the click's trigger_id.</summary>
    public ClickTarget Target(SlackInteraction click) =>
        click.Value is null || click.ActionId != ActionIds.For(ActionIds.GiveReason, click.Value)
            ? new(null, new DecisionResult(DecisionOutcome.BadRequest, "The button does not carry a request id."))
            : string.IsNullOrEmpty(click.TriggerId) ? new(null, new DecisionResult(DecisionOutcome.BadRequest, "The click has no trigger_id."))
            : new(click.Value, null);

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) => reasons.OpenAsync(context, cancellationToken);
}

/// <summary>The reason modal submitted (its seal opened: the private_metadata is the request id).</summary>
public sealed class ReasonSubmissionHandler(RevertReasonService reasons) : IViewSubmissionHandler
{
    public string CallbackId => ActionIds.ReasonCallback;

    public Task<DecisionResult> HandleAsync(Requests.SlackViewSubmission submission, CancellationToken cancellationToken) => reasons.SubmitAsync(submission, cancellationToken);
}
