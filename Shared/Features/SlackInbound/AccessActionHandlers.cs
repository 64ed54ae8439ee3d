using SgBridge.Shared.Approvals;

namespace SgBridge.Shared.Slack;

/// <summary>Revoke access now: an approver takes an applied approval's access back.</summary>
public sealed class RevokeAccessHandler(AccessDecisionService access) : IBlockActionHandler
{
    public string ActionId => ActionIds.RevokeAccess;

    public ClickScope Scope => ClickScope.RequestOnItsMessage;

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) => access.RevokeAsync(context, cancellationToken);
}

/// <summary>Ask to extend: the requester asks for more time; approvers decide the new request.</summary>
public sealed class ExtendAccessHandler(AccessDecisionService access) : IBlockActionHandler
{
    public string ActionId => ActionIds.ExtendAccess;

    public ClickScope Scope => ClickScope.Request;

    public Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken) => access.ExtendAsync(context, cancellationToken);
}
