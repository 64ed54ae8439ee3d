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

/// <summary>How a time-bound approval's access ended.</summary>
public enum AccessEndReason
{
    /// <summary>The approved duration ran out.</summary>
    Expired,
    /// <summary>An approver took the access back before it ran out.</summary>
    Revoked,
}

/// <summary>
/// Work that follows a transition, recorded on the request in the transition's conditional write and cleared by the
/// effects worker once done: clearing it is "told once". A new kind needs one <c>IEffectPerformer</c> (docs/operations.md).
/// </summary>
public enum EffectKind
{
    /// <summary>Bring the request's Slack messages (approvers', monitoring) in line with its state.</summary>
    Render,
    /// <summary>Carry out the approval in AWS (through the approved state).</summary>
    Apply,
    /// <summary>DM the requester of a reverted change to ask why.</summary>
    AskReason,
    /// <summary>Tell the monitoring channel(s) loudly that a break-glass user approved their own change.</summary>
    BreakGlassNotice,
    /// <summary>DM the requester that time-bound access was granted (with "Ask to extend").</summary>
    AccessGranted,
    /// <summary>Tell the request's monitoring thread that its access ended.</summary>
    AccessEndedNotice,
    /// <summary>DM the requester that their access ended.</summary>
    AccessEndedDm,
    /// <summary>An approver revoked access early: end it in AWS now (the expiry tick does it otherwise within a minute).</summary>
    EndAccessNow,
    /// <summary>DM the requester of a request asked for in Slack (the /sgbridge form) its decision: approved, denied or expired.</summary>
    DecisionDm,
    /// <summary>Publish again the Slack Home tabs (approvers' and requester's) that show the request, if opened recently.</summary>
    RefreshHome,
}

/// <summary>One pending effect: its number on the request, its kind, when it was raised and (break-glass) by whom.</summary>
public sealed record PendingEffect(long Id, EffectKind Kind, DateTimeOffset At, string? By = null);

/// <summary>What a write of the request does to its "effects due" index row (kept with the row, in the same transaction).</summary>
public enum EffectsIndexChange
{
    None,
    /// <summary>The first pending effect: the index row is written.</summary>
    Write,
    /// <summary>The last pending effect was cleared: the index row goes.</summary>
    Delete,
}

/// <summary>
/// The request's entries in the store's timer indexes (null: not in that index): effects pending since (catch-up),
/// pending since (stale-request expiry) and final since (retention).
/// </summary>
public sealed record RequestIndexEntries(DateTimeOffset? EffectsDueSince, DateTimeOffset? PendingSince, DateTimeOffset? FinalSince)
{
    /// <summary>In no index (a copy never stored).</summary>
    public static readonly RequestIndexEntries None = new(null, null, null);
}

/// <summary>The reason the requester of a reverted change gave in Slack (plain text as typed; escaped where rendered).</summary>
public sealed record RequesterReason(string Text, string SlackUserId, DateTimeOffset At, int Revision = 1);

/// <summary>Where a request asked for in Slack came from: the user, the modal submission, the duration asked for (null: permanent) and
/// why.</summary>
public sealed record SlackOrigin(string UserId, string? UserName, string? Email, string? TeamId, string ViewId, TimeSpan? RequestedFor, string Reason);

/// <summary>
/// A change request: one per CloudTrail event. It owns its transitions; an illegal one throws
/// <see cref="RequestStateException"/>. Reverting → Pending | RevertFailed; Pending → Approved | Denied | Expired;
/// Approved → Applied | ApplyFailed. Exempt, RevertFailed, Denied, Applied, ApplyFailed, Expired, Unmatched and Reported are final.
/// </summary>
public sealed class ChangeRequest : IJsonOnDeserialized
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

    private static ChangeRequest Create(string id, SecurityGroupChange change, RequestStatus status, string? exemptReason, DateTimeOffset now) =>
        New(new ChangeRequest
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
        }, now);

    /// <summary>A request as first stored: created now, with the effects of its first state.</summary>
    private static ChangeRequest New(ChangeRequest request, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Id);
        request.CreatedAt = request.UpdatedAt = now;
        request.RaiseFor(request.Status, now);
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

    /// <summary>The index entries this copy calls for (not stored: derived from the state).</summary>
    [JsonIgnore]
    public RequestIndexEntries IndexEntries => new(
        EffectsDueSince,
        Status == RequestStatus.Pending ? CreatedAt : null,
        IsFinal ? UpdatedAt : null);

    /// <summary>The index entries stored with the copy this one was read (or last written) as; <see cref="RequestIndexEntries.None"/> if
    /// never stored.</summary>
    [JsonIgnore] public RequestIndexEntries IndexAsStored { get; private set; } = RequestIndexEntries.None;

    /// <summary>The longest reason kept (characters); the modal's max_length says the same.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The requester's reason for a reverted change (null: none given).</summary>
    [JsonInclude] public RequesterReason? RequesterReason { get; private set; }

    /// <summary>A reverted change waiting for approvers whose requester may be asked why: not a Slack request (which has its reason).</summary>
    public bool WantsReason => Status == RequestStatus.Pending && Slack is null && Revert is { Succeeded: true };

    /// <summary>
    /// Stores the requester's reason (trimmed, non-empty, at most <see cref="MaxReasonLength"/>); a second one replaces it.
    /// Only while Pending: throws <see cref="RequestStateException"/> otherwise.
    /// </summary>
    public void RecordReason(string text, string slackUserId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(slackUserId);
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new ArgumentException("reason: give a reason (it is empty).", nameof(text));
        }
        if (trimmed.Length > MaxReasonLength)
        {
            throw new ArgumentException($"reason: at most {MaxReasonLength} characters (it has {trimmed.Length}).", nameof(text));
        }
        if (Status != RequestStatus.Pending)
        {
            throw new RequestStateException($"{Id} is {Status}: a reason is taken only while it waits for approvers.");
        }
        RequesterReason = new RequesterReason(trimmed, slackUserId, now, (RequesterReason?.Revision ?? 0) + 1);
        UpdatedAt = now;
        Raise(EffectKind.Render, now);
    }

    /// <summary>Set when the request was asked for in Slack (the /sgbridge modal): nothing changed in AWS before approval.</summary>
    [JsonInclude] public SlackOrigin? Slack { get; private set; }

    /// <summary>
    /// Opens a request asked for in Slack: one rule to add, Pending at once (nothing changed in AWS). <paramref name="id"/>
    /// derives from the modal's view id, so a duplicated submission maps to the same request.
    /// </summary>
    public static ChangeRequest OpenFromSlack(string id, string accountId, string region, string groupId, string? groupName, string? vpcId,
        SecurityGroupRule rule, Requester requester, SlackOrigin origin, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(origin);
        if (requester.SlackUserId != origin.UserId)
        {
            throw new ArgumentException("The requester of a Slack request is the Slack user who submitted it.", nameof(requester));
        }
        if (origin.RequestedFor is { } d && d <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(origin), d, "A requested duration is positive, or null (permanent).");
        }
        return New(new ChangeRequest
        {
            Id = id,
            EventId = SlackEventId(origin.ViewId),
            EventName = SlackEventName,
            EventTime = now,
            Status = RequestStatus.Pending,
            Kind = ChangeKind.Add,
            AccountId = accountId,
            Region = region,
            GroupId = groupId,
            GroupName = groupName,
            VpcId = vpcId,
            Requester = requester,
            Rules = [rule with { RuleId = null }],
            Slack = origin,
        }, now);
    }

    /// <summary>The EventName of requests asked for in Slack.</summary>
    public const string SlackEventName = "SlackRequest";

    /// <summary>The stand-in event id of a Slack request: one per modal view, the key that makes a submission idempotent.</summary>
    public static string SlackEventId(string viewId) => "slack-view:" + viewId;

    // Time-bound access: when it ends, how it ended, and the extension requests that ask for more.
    /// <summary>When the access an approval grants ends: decision time + <see cref="ApprovedFor"/> (null: permanent or not approved).</summary>
    public DateTimeOffset? AccessUntil => ApprovedFor is { } d && DecidedAt is { } at ? at + d : null;

    [JsonInclude] public AccessEndReason? AccessEndReason { get; private set; }
    [JsonInclude] public DateTimeOffset? AccessEndedAt { get; private set; }

    /// <summary>Who revoked the access early (a Slack user id); null when it expired.</summary>
    [JsonInclude] public string? AccessEndedBy { get; private set; }

    /// <summary>An extension request: the id of the request whose access it extends.</summary>
    [JsonInclude] public string? ExtendsRequestId { get; private set; }

    /// <summary>An extension request: when the access it extends ends (as it stood when the extension was asked), shown to approvers.</summary>
    [JsonInclude] public DateTimeOffset? ExtendsAccessUntil { get; private set; }

    /// <summary>Access can end for an approved (applying, applied or failed-to-apply) change that granted access.</summary>
    public bool CanEndAccess => Status is RequestStatus.Approved or RequestStatus.Applied or RequestStatus.ApplyFailed && Kind != ChangeKind.Remove;

    /// <summary>The rules whose access an approval of this request grants (Add: its rules; Modify: the edited content).</summary>
    public IReadOnlyList<SecurityGroupRule> GrantedRules => Kind switch
    {
        ChangeKind.Add => Rules,
        ChangeKind.Modify => Edits.Select(e => e.After).ToArray(),
        _ => [],
    };

    /// <summary>The approved access ended: its rules left the approved state (reconcile revokes them in AWS).</summary>
    public void EndAccess(AccessEndReason reason, string? byUserId, DateTimeOffset now)
    {
        EndAccessQuietly(reason, byUserId, now);
        Raise(EffectKind.AccessEndedNotice, now);
        Raise(EffectKind.AccessEndedDm, now);
        if (reason == Domain.AccessEndReason.Revoked)
        {
            Raise(EffectKind.EndAccessNow, now);
        }
    }

    /// <summary>
    /// The access ran out while an applied extension (<paramref name="extensionId"/>) carried it on: the extension's own
    /// end tells the requester and monitoring, so this grant's end is recorded (and rendered) without notices of its own:
    /// one "Access ended" per access, not one per request of the chain.
    /// </summary>
    public void EndAccessCarriedBy(string extensionId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(extensionId);
        EndAccessQuietly(Domain.AccessEndReason.Expired, null, now);
    }

    private void EndAccessQuietly(AccessEndReason reason, string? byUserId, DateTimeOffset now)
    {
        if (!CanEndAccess)
        {
            throw new RequestStateException($"Cannot end the access of request {Id}: it is {Status} ({Kind}), not an approved grant of access.");
        }
        AccessEndReason = reason;
        AccessEndedAt = now;
        AccessEndedBy = byUserId;
        Move(RequestStatus.AccessEnded, now);
    }

    /// <summary>A request to extend <paramref name="original"/>'s access: same rules, group and requester, Pending at once (nothing to
    /// revert).</summary>
    public static ChangeRequest OpenExtension(string id, ChangeRequest original, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (original.Status != RequestStatus.Applied || original.AccessUntil is null)
        {
            throw new RequestStateException($"Cannot extend request {original.Id}: only applied time-bound access can be extended (it is {original.Status}).");
        }
        return New(new ChangeRequest
        {
            Id = id,
            EventId = "extend:" + original.Id,
            EventName = "ExtendAccess",
            EventTime = now,
            Status = RequestStatus.Pending,
            Kind = ChangeKind.Add,
            AccountId = original.AccountId,
            Region = original.Region,
            GroupId = original.GroupId,
            GroupName = original.GroupName,
            VpcId = original.VpcId,
            Requester = original.Requester,
            Rules = original.GrantedRules,
            ExtendsRequestId = original.Id,
            ExtendsAccessUntil = original.AccessUntil,
        }, now);
    }

    /// <summary>Effects raised by transitions and not yet done, oldest first.</summary>
    [JsonInclude] public IReadOnlyList<PendingEffect> Effects { get; private set; } = [];

    /// <summary>The number of the last effect raised (effect ids never repeat on a request).</summary>
    [JsonInclude] public long LastEffectId { get; private set; }

    /// <summary>When the oldest pending effect was raised (null: none pending): the due time of the row's index entry.</summary>
    [JsonInclude] public DateTimeOffset? EffectsDueSince { get; private set; }

    private List<long> _raised = [];

    /// <summary>What writing this copy does to the "effects due" index row: a first pending effect writes it, the last cleared deletes
    /// it.</summary>
    [JsonIgnore]
    public EffectsIndexChange IndexChange => (IndexAsStored.EffectsDueSince, EffectsDueSince) switch
    {
        (null, null) => EffectsIndexChange.None,
        (_, null) => EffectsIndexChange.Delete,
        var (a, b) when a == b => EffectsIndexChange.None,
        _ => EffectsIndexChange.Write,
    };

    /// <summary>The effects raised since this copy was read or written (not stored): what the write's nudge names.</summary>
    [JsonIgnore] public IReadOnlyList<long> RaisedEffects => _raised;

    void IJsonOnDeserialized.OnDeserialized() => IndexAsStored = IndexEntries;

    /// <summary>Marks this copy as stored as it is (after its write): nothing raised since, the index rows as they now are.</summary>
    public void AcceptWritten()
    {
        _raised = [];
        IndexAsStored = IndexEntries;
    }

    /// <summary>Clears the effects done (<paramref name="ids"/>), skipping those no longer pending; false: nothing to clear.</summary>
    public bool ClearEffects(IReadOnlyCollection<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var left = Effects.Where(e => !ids.Contains(e.Id)).ToArray();
        if (left.Length == Effects.Count)
        {
            return false;
        }
        Effects = left;
        EffectsDueSince = left.Length == 0 ? null : left.Min(e => e.At);
        return true;
    }

    /// <summary>Records an effect of the transition; a new Render or RefreshHome supersedes a pending one of its kind.</summary>
    private void Raise(EffectKind kind, DateTimeOffset now, string? by = null)
    {
        var effects = kind is EffectKind.Render or EffectKind.RefreshHome ? Effects.Where(e => e.Kind != kind).ToList() : Effects.ToList();
        LastEffectId++;
        effects.Add(new PendingEffect(LastEffectId, kind, now, by));
        Effects = effects;
        EffectsDueSince ??= now;
        _raised.Add(LastEffectId);
    }

    /// <summary>The effects of entering <paramref name="status"/>: every state but Reverting is rendered; the states a Home tab lists
    /// refresh it.</summary>
    private void RaiseFor(RequestStatus status, DateTimeOffset now)
    {
        if (status != RequestStatus.Reverting)
        {
            Raise(EffectKind.Render, now);
        }
        if (ShownOnHome(status))
        {
            Raise(EffectKind.RefreshHome, now);
        }
    }

    /// <summary>The states that put a request on a Home tab, or take it off one (every other state never was on one).</summary>
    private static bool ShownOnHome(RequestStatus status) => status is RequestStatus.Pending or RequestStatus.Approved or RequestStatus.Denied
        or RequestStatus.Expired or RequestStatus.Applied or RequestStatus.ApplyFailed or RequestStatus.AccessEnded;
}
