using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Slack;

/// <summary>"Give a reason" in the requester's DM after a revert.</summary>
public sealed class GiveReasonHandler(RevertReasonService reasons) : IBlockActionHandler
{
    public string ActionId => ActionIds.GiveReason;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) => reasons.OpenAsync(action, cancellationToken);
}
