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
/// A security group change as read from one CloudTrail record. Add: <see cref="Rules"/> authorised. Remove:
/// <see cref="Rules"/> revoked when known, and <see cref="RuleIds"/> named by the call. Modify: <see cref="Modifications"/>
/// hold the new content (the old content is not in the event).
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

    /// <summary>Inbound or outbound rules.</summary>
    public RuleDirection Direction { get; init; } = RuleDirection.Ingress;
    public IReadOnlyList<SecurityGroupRule> Rules { get; init; } = [];
    public IReadOnlyList<string> RuleIds { get; init; } = [];
    public IReadOnlyList<RuleModification> Modifications { get; init; } = [];
    public required Requester Requester { get; init; }

    /// <summary>
    /// Set only on a change the worker re-queued after revoking its added rules by id while Table Storage was unreachable,
    /// so the request written later says it was reverted. Never set by the intake.
    /// </summary>
    public FallbackRevoke? Fallback { get; init; }

    /// <summary>Set by the intake on the copy it queues when its inline revert ran past its budget: the worker first looks for that run's
    /// request.</summary>
    public bool InlineAttempted { get; init; }

    /// <summary>
    /// How many times the changes-poison reader re-queued this change because Table Storage was still unreachable
    /// (zero from the intake); only the first re-drive tells the monitoring channel.
    /// </summary>
    public int PoisonRedrives { get; init; }

    /// <summary>The group as people know it: id, else name.</summary>
    public string GroupLabel => GroupId ?? $"name:{GroupName}";

    public SecurityGroupChange WithGroupId(string groupId) => this with { GroupId = groupId };
}

/// <summary>The rules an add's storage-less fallback revoked by id, and what EC2 answered.</summary>
public sealed record FallbackRevoke(IReadOnlyList<string> RuleIds, CallOutcome Outcome, DateTimeOffset At);
