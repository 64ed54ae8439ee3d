using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

public enum RequestStatus
{
    /// <summary>Stored; the revert is under way.</summary>
    Reverting,
    /// <summary>Reverted; waiting for an approver.</summary>
    Pending,
    /// <summary>The revert did not succeed: the unapproved change may still be live.</summary>
    RevertFailed,
    /// <summary>Made by an exempt principal: recorded, not reverted.</summary>
    Exempt,
    /// <summary>Approved: the approved state of the group now holds the change; AWS is being brought in line.</summary>
    Approved,
    Denied,
    /// <summary>Approved and in effect in AWS.</summary>
    Applied,
    /// <summary>Approved, but AWS could not be brought in line (the AWS error is on the request).</summary>
    ApplyFailed,
    Expired,
    /// <summary>The event's claim did not match the group (nothing to undo, or the claimed rule is not there): nothing changed in AWS.</summary>
    Unmatched,
    /// <summary>A difference from the approved state found with Reconcile:Mode=Report: reported, not reverted.</summary>
    Reported,
    /// <summary>A time-bound approval's access ended (expired, or revoked early): the rules left the approved state.</summary>
    AccessEnded,
}

/// <summary>The policy file's decision (approve, deny or ask) and the rule and line that matched (null: none did).</summary>
public sealed record PolicyDecisionRecord(string Outcome, string? Rule, int? Line, string? Source, string Reason, TimeSpan? Duration = null);

/// <summary>A rule edit with the content before (when known) and after.</summary>
public sealed record RuleEdit(string RuleId, SecurityGroupRule? Before, SecurityGroupRule After);

/// <summary>What an EC2 call did: which call, whether it worked, and what AWS said.</summary>
public sealed record CallOutcome(string Call, bool Succeeded, string? ErrorCode = null, string? Message = null)
{
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>A Slack message the bridge posted for a request.</summary>
public sealed record SlackMessageRef(string Channel, string Ts);

public sealed class RequestStateException(string message) : InvalidOperationException(message);

/// <summary>
/// A change request: one per CloudTrail event. It owns its transitions; an illegal one throws
/// <see cref="RequestStateException"/>. Reverting → Pending | RevertFailed; Pending → Approved | Denied | Expired;
/// Approved → Applied | ApplyFailed. Exempt, RevertFailed, Denied, Applied, ApplyFailed, Expired, Unmatched and Reported are final.
/// </summary>
public sealed partial class ChangeRequest
{
    [JsonConstructor]
    private ChangeRequest()
    {
    }

    [JsonInclude] public string Id { get; private set; } = "";
    [JsonInclude] public string EventId { get; private set; } = "";
    [JsonInclude] public string EventName { get; private set; } = "";
    [JsonInclude] public DateTimeOffset EventTime { get; private set; }
    [JsonInclude] public RequestStatus Status { get; private set; }
    [JsonInclude] public ChangeKind Kind { get; private set; }
    [JsonInclude] public string AccountId { get; private set; } = "";
    [JsonInclude] public string Region { get; private set; } = "";
    [JsonInclude] public string? GroupId { get; private set; }
    [JsonInclude] public string? GroupName { get; private set; }
    [JsonInclude] public string? VpcId { get; private set; }
    [JsonInclude] public Requester Requester { get; private set; } = null!;

    /// <summary>Add: the rules added. Remove: the rules removed (as far as known).</summary>
    [JsonInclude] public IReadOnlyList<SecurityGroupRule> Rules { get; private set; } = [];

    /// <summary>Remove by rule id: the ids named whose content is unknown.</summary>
    [JsonInclude] public IReadOnlyList<string> UnresolvedRuleIds { get; private set; } = [];

    /// <summary>Modify: each edit with before (when known) and after.</summary>
    [JsonInclude] public IReadOnlyList<RuleEdit> Edits { get; private set; } = [];

    /// <summary>The bridge could not tell what the group held before the change: it failed closed.</summary>
    [JsonInclude] public bool PreviousContentUnknown { get; private set; }
    [JsonInclude] public string? ExemptReason { get; private set; }
    [JsonInclude] public CallOutcome? Revert { get; private set; }
    [JsonInclude] public string? DecidedBy { get; private set; }
    [JsonInclude] public string? DecidedByName { get; private set; }
    [JsonInclude] public DateTimeOffset? DecidedAt { get; private set; }

    /// <summary>Why the decider decided, when they said (the CLI's <c>--reason</c>; a Slack click gives none).</summary>
    [JsonInclude] public string? DecisionReason { get; private set; }

    /// <summary>How long an approval grants the access (null: permanent). Set by <see cref="Approve"/>.</summary>
    [JsonInclude] public TimeSpan? ApprovedFor { get; private set; }

    /// <summary>What the policy file decided for this request, and which of its rules decided (null: no policy rule matched, or none configured).</summary>
    [JsonInclude] public PolicyDecisionRecord? PolicyDecision { get; private set; }
    [JsonInclude] public CallOutcome? Apply { get; private set; }
    [JsonInclude] public DateTimeOffset CreatedAt { get; private set; }
    [JsonInclude] public DateTimeOffset UpdatedAt { get; private set; }
    public bool IsFinal => Status is RequestStatus.Exempt or RequestStatus.RevertFailed or RequestStatus.Denied
        or RequestStatus.Applied or RequestStatus.ApplyFailed or RequestStatus.Expired or RequestStatus.Unmatched or RequestStatus.Reported or RequestStatus.AccessEnded;

    /// <summary>Opens a request for a change the bridge is about to revert.</summary>
    public static ChangeRequest Open(string id, SecurityGroupChange change, DateTimeOffset now) =>
        Create(id, change, RequestStatus.Reverting, exemptReason: null, now);

    /// <summary>Records a change by an exempt principal: never reverted, never decided.</summary>
    public static ChangeRequest RecordExempt(string id, SecurityGroupChange change, string reason, DateTimeOffset now) =>
        Create(id, change, RequestStatus.Exempt, reason, now);

    private static ChangeRequest Create(string id, SecurityGroupChange change, RequestStatus status, string? exemptReason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var request = new ChangeRequest
        {
            Id = id,
            EventId = change.EventId,
            EventName = change.EventName,
            EventTime = change.EventTime,
            Status = status,
            Kind = change.Kind,
            AccountId = change.AccountId,
            Region = change.Region,
            GroupId = change.GroupId,
            GroupName = change.GroupName,
            Requester = change.Requester,
            Rules = change.Rules,
            UnresolvedRuleIds = change.RuleIds.Where(id => !change.Rules.Any(r => r.RuleId == id)).ToArray(),
            Edits = change.Modifications.Select(m => new RuleEdit(m.RuleId, null, m.After)).ToArray(),
            ExemptReason = exemptReason,
            CreatedAt = now,
            UpdatedAt = now,
        };
        request.RaiseFor(status, now);
        return request;
    }

    /// <summary>Fills in what the bridge learnt about the group before reverting (resolved id, VPC, previous content).</summary>
    public void RecordFound(string groupId, string? groupName, string? vpcId, IReadOnlyList<SecurityGroupRule> rules,
        IReadOnlyList<string> unresolvedRuleIds, IReadOnlyList<RuleEdit> edits, bool previousContentUnknown, DateTimeOffset now)
    {
        Require(RequestStatus.Reverting, "describe the group of");
        GroupId = groupId;
        GroupName = groupName ?? GroupName;
        VpcId = vpcId ?? VpcId;
        Rules = rules;
        UnresolvedRuleIds = unresolvedRuleIds;
        Edits = edits;
        PreviousContentUnknown = previousContentUnknown;
        UpdatedAt = now;
    }

    public void MarkReverted(CallOutcome outcome, DateTimeOffset now)
    {
        RecordRevert(RequestStatus.Pending, "mark reverted", outcome, now);
        if (WantsReason)
        {
            Raise(EffectKind.AskReason, now);
        }
    }

    public void MarkRevertFailed(CallOutcome outcome, DateTimeOffset now) =>
        RecordRevert(RequestStatus.RevertFailed, "mark revert failed", outcome, now);

    /// <summary>An exempt principal's change: recorded, adopted into the approved state as far as the group confirms it, never reverted.</summary>
    public void MarkExempt(string reason, CallOutcome outcome, DateTimeOffset now)
    {
        RecordRevert(RequestStatus.Exempt, "mark exempt", outcome, now);
        ExemptReason = reason;
    }

    /// <summary>The event's claim did not match the group: nothing was undone (a stale, duplicated or forged event).</summary>
    public void MarkUnmatched(CallOutcome outcome, DateTimeOffset now) =>
        RecordRevert(RequestStatus.Unmatched, "mark unmatched", outcome, now);

    /// <summary>
    /// Two runs of one event at once: the other found nothing to undo and recorded Unmatched first. The run that changed
    /// AWS holds the true outcome, so the request goes back to Reverting to be recorded. Only from Unmatched.
    /// </summary>
    public void ReopenForOutcome(DateTimeOffset now)
    {
        Require(RequestStatus.Unmatched, "reopen for this run's outcome");
        Revert = null;
        Move(RequestStatus.Reverting, now);
    }

    /// <summary>A difference found with Reconcile:Mode=Report: reported, not reverted.</summary>
    public void MarkReported(CallOutcome outcome, DateTimeOffset now) => RecordRevert(RequestStatus.Reported, "mark reported", outcome, now);

    /// <summary>Leaves Reverting for <paramref name="to"/> with what the revert did.</summary>
    private void RecordRevert(RequestStatus to, string action, CallOutcome outcome, DateTimeOffset now)
    {
        Require(RequestStatus.Reverting, action);
        Revert = outcome;
        Move(to, now);
    }

    /// <summary>Approves for <paramref name="duration"/> (null: permanently), raising apply and render; <paramref name="breakGlass"/>
    /// adds the loud notice.</summary>
    public void Approve(string userId, string? userName, DateTimeOffset now, TimeSpan? duration = null, bool breakGlass = false, string? reason = null)
    {
        if (duration is { } d && d <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), d, "An approval lasts a positive time, or is permanent (null).");
        }
        Decide(RequestStatus.Approved, userId, userName, now, reason);
        ApprovedFor = duration;
        Raise(EffectKind.Apply, now);
        if (breakGlass)
        {
            Raise(EffectKind.BreakGlassNotice, now, userId);
        }
    }

    /// <summary>Records the policy file's decision (the outcome and the rule that matched).</summary>
    public void RecordPolicyDecision(PolicyDecisionRecord decision, DateTimeOffset now)
    {
        PolicyDecision = decision ?? throw new ArgumentNullException(nameof(decision));
        UpdatedAt = now;
    }

    public void Deny(string userId, string? userName, DateTimeOffset now, string? reason = null) => Decide(RequestStatus.Denied, userId, userName, now, reason);

    public void Expire(DateTimeOffset now)
    {
        Require(RequestStatus.Pending, "expire");
        Move(RequestStatus.Expired, now);
        RaiseDecisionDm(now);
    }

    /// <summary>A request asked for in Slack promises its requester the decision in a DM: an effect of the decision.</summary>
    private void RaiseDecisionDm(DateTimeOffset now)
    {
        if (Slack is not null)
        {
            Raise(EffectKind.DecisionDm, now);
        }
    }

    public void MarkApplied(CallOutcome outcome, DateTimeOffset now)
    {
        RecordApply(RequestStatus.Applied, "mark applied", outcome, now);
        if (AccessUntil is not null && Kind != ChangeKind.Remove)
        {
            Raise(EffectKind.AccessGranted, now);
        }
    }

    public void MarkApplyFailed(CallOutcome outcome, DateTimeOffset now) =>
        RecordApply(RequestStatus.ApplyFailed, "mark failed", outcome, now);

    private void RecordApply(RequestStatus to, string action, CallOutcome outcome, DateTimeOffset now)
    {
        Require(RequestStatus.Approved, action);
        Apply = outcome;
        Move(to, now);
    }

    private void Decide(RequestStatus decision, string userId, string? userName, DateTimeOffset now, string? reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var said = reason?.Trim();
        if (said?.Length > MaxReasonLength)
        {
            throw new ArgumentException($"reason: at most {MaxReasonLength} characters (it has {said.Length}).", nameof(reason));
        }
        Require(RequestStatus.Pending, decision == RequestStatus.Approved ? "approve" : "deny");
        DecidedBy = userId;
        DecidedByName = userName;
        DecidedAt = now;
        DecisionReason = string.IsNullOrEmpty(said) ? null : said;
        Move(decision, now);
        RaiseDecisionDm(now);
    }

    private void Require(RequestStatus expected, string action)
    {
        if (Status != expected)
        {
            throw new RequestStateException($"Cannot {action} request {Id}: it is {Status}, not {expected}.");
        }
    }

    /// <summary>Moves to <paramref name="to"/> and raises what entering it calls for (at least a render of its messages).</summary>
    private void Move(RequestStatus to, DateTimeOffset now)
    {
        Status = to;
        UpdatedAt = now;
        RaiseFor(to, now);
    }
}
