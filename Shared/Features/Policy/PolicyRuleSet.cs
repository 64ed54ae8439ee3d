using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Policy;

/// <summary>What a policy rule decides: approve at once, deny at once, or ask an approver (today's behaviour).</summary>
public enum PolicyOutcome
{
    Approve,
    Deny,
    Ask,
}

/// <summary>How a port or CIDR condition compares the request's rule with the listed values.</summary>
public enum RangeMatch
{
    /// <summary>The request's range lies inside one of the listed ranges.</summary>
    Within,
    /// <summary>The request's range holds one of the listed ranges entirely.</summary>
    Contains,
    /// <summary>The request's range is one of the listed ranges exactly.</summary>
    Equals,
    /// <summary>Ports only: the request's range shares at least one port with one of the listed ranges.</summary>
    Overlaps,
    /// <summary>Ports only: the request's range shares no port with any listed range.</summary>
    Outside,
}

/// <summary>An inclusive port range.</summary>
public sealed record PortRange(int From, int To)
{
    public bool IsWithin(PortRange other) => From >= other.From && To <= other.To;

    public bool Overlaps(PortRange other) => From <= other.To && other.From <= To;

    public override string ToString() => From == To ? From.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{From}-{To}";
}

public sealed record PortCondition(RangeMatch Match, IReadOnlyList<PortRange> Ranges);

public sealed record CidrCondition(RangeMatch Match, IReadOnlyList<IpNetwork> Networks);

/// <summary>Conditions on the source of a rule; every one given must hold.</summary>
public sealed record SourceCondition(
    IReadOnlyList<SourceKind>? Kinds,
    CidrCondition? Cidr,
    IReadOnlyList<string>? PrefixLists,
    IReadOnlyList<string>? Groups,
    bool SameAccountGroup);

/// <summary>The conditions of one policy rule: each one given must hold, a list holds when any value does, null means "any".</summary>
public sealed record PolicyConditions
{
    public IReadOnlyList<string>? Accounts { get; init; }
    public IReadOnlyList<string>? Regions { get; init; }
    public IReadOnlyList<string>? GroupIds { get; init; }
    public IReadOnlyList<string>? GroupNames { get; init; }
    public IReadOnlyList<string>? Vpcs { get; init; }
    public IReadOnlyList<ChangeKind>? Changes { get; init; }
    public IReadOnlyList<string>? Protocols { get; init; }
    public PortCondition? Ports { get; init; }
    public SourceCondition? Source { get; init; }
    public IReadOnlyList<string>? Requesters { get; init; }
    public bool? TimeBound { get; init; }

    /// <summary>Conditions on the group's tags (all must hold); the only condition that needs an EC2 call, so checked last.</summary>
    public IReadOnlyList<TagCondition>? GroupTags { get; init; }
}

public sealed record PolicyRule(string Name, int Line, PolicyOutcome Outcome, TimeSpan? Duration, PolicyConditions When)
{
    /// <summary>Why an approval <see cref="PolicyRisk"/> calls dangerous is accepted; without it such a rule is refused at load.</summary>
    public string? Acknowledge { get; init; }
}

/// <summary>The policy file: its rules in order (the first that matches decides) and where it came from.</summary>
public sealed record PolicyRuleSet(string Source, IReadOnlyList<PolicyRule> Rules)
{
    public static PolicyRuleSet Empty { get; } = new("(none)", []);

    /// <summary>One line per dangerous approval; printed by <c>policy validate</c> and <c>policy test</c>.</summary>
    public IReadOnlyList<string> Warnings => Rules
        .Where(r => PolicyRisk.Of(r) is not null)
        .Select(r => $"{Source}:{r.Line}: rule '{r.Name}' {PolicyRisk.Of(r)} "
            + (r.Acknowledge is null ? "(not acknowledged: add 'acknowledge: <why>' to the rule, or narrow it)" : $"(acknowledged: {r.Acknowledge})"))
        .ToList();

    public bool UsesTags => Rules.Any(r => r.When.GroupTags is not null);
}
