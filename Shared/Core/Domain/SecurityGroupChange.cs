namespace SgBridge.Shared.Domain;

public enum ChangeKind
{
    Add,
    Remove,
    Modify,
}

/// <summary>One edit of an existing rule (ModifySecurityGroupRules): the rule id and its new content.</summary>
public sealed record RuleModification(string RuleId, SecurityGroupRule After);

/// <summary>
/// A security group ingress change as understood from one CloudTrail record.
/// Add: <see cref="Rules"/> are the rules authorised (with rule ids when the response listed them).
/// Remove: <see cref="Rules"/> are the rules revoked when the call or response says what they were;
/// <see cref="RuleIds"/> are the rule ids named by the call (their content may be unknown).
/// Modify: <see cref="Modifications"/> hold the new content; the old content is not in the event.
/// </summary>
public sealed record SecurityGroupChange
{
    public required string EventId { get; init; }
    public required string EventName { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public string? GroupId { get; init; }
    public string? GroupName { get; init; }
    public required ChangeKind Kind { get; init; }

    /// <summary>Inbound or outbound rules. Changes queued before this property existed are ingress.</summary>
    public RuleDirection Direction { get; init; } = RuleDirection.Ingress;
    public IReadOnlyList<SecurityGroupRule> Rules { get; init; } = [];
    public IReadOnlyList<string> RuleIds { get; init; } = [];
    public IReadOnlyList<RuleModification> Modifications { get; init; } = [];
    public required Requester Requester { get; init; }

    /// <summary>
    /// Set only on a change the worker re-queued after revoking its added rules by rule id while Table Storage was
    /// unreachable: what that revoke did, so that the request — written once storage is back — says the change was
    /// reverted, not that it found nothing to undo. Null on every change that comes from the intake.
    /// </summary>
    public FallbackRevoke? Fallback { get; init; }

    /// <summary>
    /// Set by the intake on the copy it queues when its inline revert ran past Intake:InlineBudget (the inline run goes
    /// on): the worker first looks for the request that run normally stored meanwhile, and stops there if it finds it.
    /// </summary>
    public bool InlineAttempted { get; init; }

    /// <summary>
    /// How many times the changes-poison reader put this change back on the changes queue because Table Storage was
    /// still unreachable on its last try (Processing:PoisonRedriveDelay, within Processing:PoisonRedriveWindow of the
    /// event): zero on every change from the intake. Only the first re-drive tells the monitoring channel.
    /// </summary>
    public int PoisonRedrives { get; init; }

    /// <summary>The group as people know it: id, else name.</summary>
    public string GroupLabel => GroupId ?? $"name:{GroupName}";

    public SecurityGroupChange WithGroupId(string groupId) => this with { GroupId = groupId };
}

/// <summary>The rules an add's storage-less fallback revoked by id, and what EC2 answered.</summary>
public sealed record FallbackRevoke(IReadOnlyList<string> RuleIds, CallOutcome Outcome, DateTimeOffset At);
