using System.Globalization;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Policy;

/// <summary>
/// Lets the policy file decide a request that would wait for an approver, inside the write that leaves it Pending (one
/// row write; Slack told once, with the outcome). <see cref="Decide"/> cannot call EC2, so a caller first asks
/// <see cref="TagsForAsync"/>, which reads the group's tags only when a <c>groupTags</c> condition is reached.
/// </summary>
public sealed partial class PolicyGate(PolicyRules rules, ILogger<PolicyGate> logger, PolicyTagReader tagReader)
{
    /// <summary>What <see cref="ChangeRequest.DecidedBy"/> starts with when the policy decided.</summary>
    public const string DeciderPrefix = "policy:";

    /// <summary>Decides a Pending request no policy decided yet, inside the write that made it Pending (it changes only the
    /// object). Null: no policy file, or nothing to decide.</summary>
    public PolicyEvaluation? Decide(ChangeRequest request, DateTimeOffset now, TimeSpan? requestedDuration, GroupTags tags)
    {
        if (!WouldDecide(request))
        {
            return null;
        }
        var evaluation = Evaluate(request, requestedDuration, tags);
        var decision = evaluation.Decision;
        request.RecordPolicyDecision(decision, now);
        var by = DeciderPrefix + decision.Rule;
        var name = $"policy rule {decision.Rule} ({decision.Source} line {decision.Line?.ToString(CultureInfo.InvariantCulture)})";
        switch (decision.Outcome)
        {
            case "approve":
                request.Approve(by, name, now, decision.Duration);
                break;
            case "deny":
                request.Deny(by, name, now);
                break;
        }
        return evaluation;
    }

    /// <summary>The group's tags <see cref="Decide"/> will need for the request about to be written: read once when the evaluation
    /// reaches a <c>groupTags</c> condition, else <see cref="GroupTags.NotRead"/>; unreadable tags are <see cref="GroupTags.Unknown"/>.</summary>
    public async Task<GroupTags> TagsForAsync(ChangeRequest candidate, TimeSpan? requestedDuration, CancellationToken cancellationToken)
    {
        if (!WouldDecide(candidate) || !Evaluate(candidate, requestedDuration, GroupTags.NotRead).NeedsTags)
        {
            return GroupTags.NotRead;
        }
        return await tagReader.ReadAsync(candidate.AccountId, candidate.Region, candidate.GroupId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Else <see cref="TagsForAsync"/> never reads.</summary>
    public bool UsesTags => rules.Configured && rules.Current.UsesTags;

    private bool WouldDecide(ChangeRequest request) => rules.Configured && request.Status == RequestStatus.Pending && request.PolicyDecision is null;

    private PolicyEvaluation Evaluate(ChangeRequest request, TimeSpan? requestedDuration, GroupTags tags) =>
        PolicyEngine.Evaluate(rules.Current, PolicyInput.From(request, requestedDuration is { } d && d > TimeSpan.Zero ? d : null, tags), rules.AccountAliases);

    /// <summary>After the write (an insert or an update) that stored <paramref name="r"/> with <see cref="Decide"/>'s result: logs
    /// the decision (an approval's apply is an effect of that write).</summary>
    public void LogDecision(ChangeRequest r)
    {
        if (r.PolicyDecision is { } decision && r.Status is RequestStatus.Approved or RequestStatus.Denied or RequestStatus.Pending)
        {
            LogDecided(logger, r.Id, decision.Outcome, decision.Rule ?? "(none)", decision.Line ?? 0, r.AccountId, r.GroupId);
        }
    }

    [LoggerMessage(5201, LogLevel.Information, "Request {RequestId}: the policy says {Outcome} by rule {Rule} (line {Line}) in {AccountId} on {GroupId}")]
    private static partial void LogDecided(ILogger logger, string requestId, string outcome, string rule, int line, string accountId, string? groupId);
}
