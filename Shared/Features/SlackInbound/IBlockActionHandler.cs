using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Handles one kind of button (SlackNet's <c>IBlockActionHandler</c> shape): the endpoint has verified and parsed the
/// click and routes it here by <see cref="ActionId"/> (a prefix: <see cref="ActionIds.Matches"/>). Handlers never see HTTP.
/// </summary>
public interface IBlockActionHandler
{
    string ActionId { get; }

    Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken);
}

/// <summary>The plain Approve button approves permanently: refused when Approvals:Durations does not offer "permanent".</summary>
public sealed class ApproveHandler(DecisionService decisions, IOptions<ApprovalsOptions>? approvals = null) : IBlockActionHandler
{
    public string ActionId => ActionIds.Approve;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) =>
        PermanentClick.Refused(approvals?.Value, action) is { } refused ? Task.FromResult(refused) : decisions.DecideAsync(action, approve: true, cancellationToken);
}

public sealed class DenyHandler(DecisionService decisions) : IBlockActionHandler
{
    public string ActionId => ActionIds.Deny;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) => decisions.DecideAsync(action, approve: false, cancellationToken);
}

public sealed class ApproveAllHandler(DecisionService decisions, IOptions<ApprovalsOptions>? approvals = null) : IBlockActionHandler
{
    public string ActionId => ActionIds.ApproveAll;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) =>
        PermanentClick.Refused(approvals?.Value, action) is { } refused ? Task.FromResult(refused) : decisions.DecideBatchAsync(action, approve: true, cancellationToken);
}

public sealed class DenyAllHandler(DecisionService decisions) : IBlockActionHandler
{
    public string ActionId => ActionIds.DenyAll;

    public Task<DecisionResult> HandleAsync(SlackInteraction action, CancellationToken cancellationToken) => decisions.DecideBatchAsync(action, approve: false, cancellationToken);
}
