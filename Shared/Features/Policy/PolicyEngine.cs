using System.Globalization;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

/// <summary>What the policy looks at for one request.</summary>
public sealed record PolicyInput(
    string AccountId,
    string Region,
    string? GroupId,
    string? GroupName,
    string? VpcId,
    Requester Requester,
    ChangeKind Kind,
    IReadOnlyList<SecurityGroupRule> Rules,
    bool ContentUnknown,
    TimeSpan? RequestedDuration = null,
    GroupTags? Tags = null)
{
    public GroupTags GroupTags => Tags ?? GroupTags.NotRead;

    /// <summary>A stored request as the policy sees it: the rules it records are the ones the bridge found in AWS (for an edit, the new content).</summary>
    public static PolicyInput From(ChangeRequest r, TimeSpan? requestedDuration = null, GroupTags? tags = null) => new(
        r.AccountId, r.Region, r.GroupId, r.GroupName, r.VpcId, r.Requester, r.Kind,
        r.Kind == ChangeKind.Modify ? r.Edits.Select(e => e.After).ToArray() : r.Rules,
        r.UnresolvedRuleIds.Count > 0 || (r.Kind == ChangeKind.Modify ? r.Edits.Count == 0 : r.Rules.Count == 0),
        requestedDuration,
        tags);
}

/// <summary>The rule that decided one security group rule (null: none matched, so ask). <see cref="TagsNeededBy"/>: every other
/// condition of that policy rule holds but its <c>groupTags</c> cannot be checked (tags unknown), so the rule is asked.</summary>
public sealed record RuleVerdict(SecurityGroupRule Rule, PolicyRule? Decider, IReadOnlyList<string> Skipped)
{
    public PolicyRule? TagsNeededBy { get; init; }

    public PolicyOutcome Outcome => TagsNeededBy is not null ? PolicyOutcome.Ask : Decider?.Outcome ?? PolicyOutcome.Ask;
}

/// <summary>The policy's answer for a request with each rule's verdict. <see cref="NeedsTags"/>: read the group's tags and evaluate
/// again.</summary>
public sealed record PolicyEvaluation(PolicyDecisionRecord Decision, PolicyRule? Decider, IReadOnlyList<RuleVerdict> PerRule)
{
    public bool NeedsTags { get; init; }
}

/// <summary>
/// Each security group rule is decided by the first policy rule whose conditions all hold (none: ask). Any rule denied →
/// deny; else every rule approved → approve, for the shortest deciding duration, shortened to the duration asked for; else
/// ask. Content the bridge could not read is always asked. With unknown tags the evaluation stops at a <c>groupTags</c>
/// rule and asks: it never decides on unknown facts, nor passes on to a later rule that might approve what this one denies.
/// </summary>
public static class PolicyEngine
{
    public static PolicyEvaluation Evaluate(PolicyRuleSet policy, PolicyInput input, IReadOnlyDictionary<string, string> accountAliases)
    {
        if (input.ContentUnknown)
        {
            return new PolicyEvaluation(
                new PolicyDecisionRecord("ask", null, null, policy.Source, "The bridge could not read every rule of this change (content unknown): an approver decides."),
                null, []);
        }
        var perRule = input.Rules.Select(r => Decide(policy, input, r, accountAliases)).ToArray();
        var denied = perRule.FirstOrDefault(v => v.Outcome == PolicyOutcome.Deny);
        if (denied is not null)
        {
            return Result(policy, "deny", denied.Decider, null, $"{Words(denied)}; a change with any denied rule is denied", perRule);
        }
        var undecided = perRule.FirstOrDefault(v => v.TagsNeededBy is not null);
        if (undecided is not null)
        {
            var why = input.GroupTags.UnknownReason ?? "the group's tags are needed and were not read";
            return Result(policy, "ask", undecided.TagsNeededBy, null, $"{Words(undecided)}; {why}: an approver decides", perRule) with
            {
                NeedsTags = input.GroupTags.IsNotRead,
            };
        }
        var notApproved = perRule.FirstOrDefault(v => v.Outcome != PolicyOutcome.Approve);
        if (notApproved is not null)
        {
            return Result(policy, "ask", notApproved.Decider, null, perRule.Length == 1 ? Words(notApproved) : $"{Words(notApproved)}; not every rule is approved by the policy", perRule);
        }
        var duration = perRule.Min(v => v.Decider!.Duration); // null only when every deciding rule approves permanently
        if (input.RequestedDuration is { } asked && (duration is null || asked < duration))
        {
            duration = asked;
        }
        var decider = perRule.MinBy(v => v.Decider!.Duration ?? TimeSpan.MaxValue)!.Decider;
        var reason = string.Join("; ", perRule.Select(Words)) + (duration is { } d ? $"; approved for {ApprovalDuration.Format(d)}" : "; approved permanently");
        return Result(policy, "approve", decider, duration, reason, perRule);
    }

    private static PolicyEvaluation Result(PolicyRuleSet policy, string outcome, PolicyRule? decider, TimeSpan? duration, string reason, IReadOnlyList<RuleVerdict> perRule) =>
        new(new PolicyDecisionRecord(outcome, decider?.Name, decider?.Line, policy.Source, reason, duration), decider, perRule);

    private static string Words(RuleVerdict v) => v.TagsNeededBy is { } t
        ? $"{v.Rule.Describe()}: rule '{t.Name}' (line {t.Line.ToString(CultureInfo.InvariantCulture)}) would say {t.Outcome.ToString().ToLowerInvariant()} if the group's tags match {List(t.When.GroupTags!.Select(c => c.ToString()))}, but they are not known"
        : v.Decider is { } d
        ? $"{v.Rule.Describe()}: rule '{d.Name}' (line {d.Line.ToString(CultureInfo.InvariantCulture)}) says {d.Outcome.ToString().ToLowerInvariant()}"
        : $"{v.Rule.Describe()}: no rule matches, so ask";

    private static RuleVerdict Decide(PolicyRuleSet policy, PolicyInput input, SecurityGroupRule rule, IReadOnlyDictionary<string, string> aliases)
    {
        var skipped = new List<string>();
        foreach (var candidate in policy.Rules)
        {
            var miss = Mismatch(candidate.When, input, rule, aliases);
            if (miss is null && candidate.When.GroupTags is not null && !input.GroupTags.IsKnown)
            {
                // Every other condition holds; whether this rule is the first match depends on tags nobody knows.
                return new RuleVerdict(rule, null, skipped) { TagsNeededBy = candidate };
            }
            if (miss is null)
            {
                return new RuleVerdict(rule, candidate, skipped);
            }
            skipped.Add($"'{candidate.Name}' (line {candidate.Line.ToString(CultureInfo.InvariantCulture)}): {miss}");
        }
        return new RuleVerdict(rule, null, skipped);
    }

    /// <summary>Null when every condition holds; else the first that does not, in words. Unknown tags are left to the caller.</summary>
    public static string? Mismatch(PolicyConditions w, PolicyInput input, SecurityGroupRule rule, IReadOnlyDictionary<string, string> aliases)
    {
        if (w.Accounts is { } accounts && !accounts.Any(a => a == input.AccountId || (aliases.TryGetValue(input.AccountId, out var alias) && alias == a)))
        {
            return $"account {input.AccountId}{(aliases.TryGetValue(input.AccountId, out var al) ? $" ({al})" : "")} is not {List(accounts)}";
        }
        if (w.Regions is { } regions && !regions.Contains(input.Region, StringComparer.Ordinal))
        {
            return $"region {input.Region} is not {List(regions)}";
        }
        if (w.GroupIds is { } ids && (input.GroupId is null || !ids.Contains(input.GroupId, StringComparer.OrdinalIgnoreCase)))
        {
            return $"group {input.GroupId ?? "?"} is not {List(ids)}";
        }
        if (w.GroupNames is { } names && (input.GroupName is null || !names.Any(n => Glob.Matches(n, input.GroupName, ignoreCase: true))))
        {
            return $"group name {input.GroupName ?? "?"} does not match {List(names)}";
        }
        if (w.Vpcs is { } vpcs && (input.VpcId is null || !vpcs.Contains(input.VpcId, StringComparer.OrdinalIgnoreCase)))
        {
            return $"VPC {input.VpcId ?? "?"} is not {List(vpcs)}";
        }
        if (w.Changes is { } changes && !changes.Contains(input.Kind))
        {
            return $"the change is a {input.Kind.ToString().ToLowerInvariant()}, not {List(changes.Select(k => k.ToString().ToLowerInvariant()))}";
        }
        if (w.Protocols is { } protocols && !protocols.Contains(rule.Protocol, StringComparer.Ordinal))
        {
            return $"protocol {rule.ProtocolText()} is not {List(protocols.Select(p => p == "-1" ? "all" : p))}";
        }
        if (w.Ports is { } ports && PortMismatch(ports, rule) is { } portMiss)
        {
            return portMiss;
        }
        if (w.Source is { } source && SourceMismatch(source, input, rule) is { } sourceMiss)
        {
            return sourceMiss;
        }
        if (w.Requesters is { } requesters
            && !requesters.Any(p => new[] { input.Requester.IssuerArn, input.Requester.Arn }.Any(arn => arn is not null && Glob.Matches(p, arn, ignoreCase: true))))
        {
            return $"requester {input.Requester.PolicyArn ?? "?"} does not match {List(requesters)}";
        }
        if (w.TimeBound is { } timeBound && timeBound != (input.RequestedDuration is not null))
        {
            return timeBound ? "the change does not ask for time-bound access" : "the change asks for time-bound access";
        }
        if (w.GroupTags is { } tagConditions && input.GroupTags.Values is { } tags && tagConditions.FirstOrDefault(t => !t.Holds(tags)) is { } failed)
        {
            return tags.TryGetValue(failed.Key, out var value)
                ? $"tag {failed.Key}={value} does not match {List(failed.Values)}"
                : $"the group has no tag {failed.Key}";
        }
        return null;
    }

    /// <summary>The ports a rule opens (none given: 0-65535); ICMP and other protocols have none, so a ports condition never holds.</summary>
    public static PortRange? PortsOf(SecurityGroupRule rule) => rule.Protocol switch
    {
        "-1" => new PortRange(0, 65535),
        "tcp" or "udp" => new PortRange(rule.FromPort is null or < 0 ? 0 : rule.FromPort.Value, rule.ToPort is null or < 0 ? 65535 : rule.ToPort.Value),
        _ => null,
    };

    private static string? PortMismatch(PortCondition c, SecurityGroupRule rule)
    {
        if (PortsOf(rule) is not { } ports)
        {
            return $"{rule.ProtocolText()} has no ports, and the rule has a ports condition";
        }
        var holds = c.Match switch
        {
            RangeMatch.Within => c.Ranges.Any(ports.IsWithin),
            RangeMatch.Contains => c.Ranges.Any(r => r.IsWithin(ports)),
            RangeMatch.Equals => c.Ranges.Any(r => r == ports),
            RangeMatch.Overlaps => c.Ranges.Any(ports.Overlaps),
            _ => !c.Ranges.Any(ports.Overlaps),
        };
        return holds ? null : $"ports {ports} are not {Mode(c.Match)} {List(c.Ranges.Select(r => r.ToString()))}";
    }

    private static string? SourceMismatch(SourceCondition c, PolicyInput input, SecurityGroupRule rule)
    {
        var s = rule.Source;
        if (c.Kinds is { } kinds && !kinds.Contains(s.Kind))
        {
            return $"source {s} is a {Kind(s.Kind)}, not {List(kinds.Select(Kind))}";
        }
        if (c.Cidr is { } cidr)
        {
            var network = s.Kind is SourceKind.Ipv4Cidr or SourceKind.Ipv6Cidr ? IpNetwork.TryParse(s.Value) : null;
            if (network is null)
            {
                return $"source {s} is not a CIDR";
            }
            var holds = cidr.Match switch
            {
                RangeMatch.Within => cidr.Networks.Any(network.IsWithin),
                RangeMatch.Contains => cidr.Networks.Any(network.Contains),
                _ => cidr.Networks.Any(network.SameAs),
            };
            if (!holds)
            {
                return $"source {s.Value} is not {Mode(cidr.Match)} {List(cidr.Networks.Select(n => n.ToString()))}";
            }
        }
        if (c.PrefixLists is { } lists && !(s.Kind == SourceKind.PrefixList && lists.Any(l => l == "*" || string.Equals(l, s.Value, StringComparison.OrdinalIgnoreCase))))
        {
            return $"source {s} is not the prefix list {List(lists)}";
        }
        if (c.Groups is not null || c.SameAccountGroup)
        {
            if (s.Kind != SourceKind.ReferencedGroup)
            {
                return $"source {s} is not a security group";
            }
            var sameAccount = s.UserId is null || s.UserId == input.AccountId;
            var listed = c.Groups?.Contains(s.Value, StringComparer.OrdinalIgnoreCase) == true;
            // Only groups of the request's own account match: "same-account" any of them, listed ids just those.
            if (!(sameAccount && (listed || c.SameAccountGroup)))
            {
                return sameAccount ? $"source group {s.Value} is not {List(c.Groups ?? [])}" : $"source group {s} is in another account ({s.UserId})";
            }
        }
        return null;
    }

    private static string Mode(RangeMatch m) => m switch
    {
        RangeMatch.Within => "within",
        RangeMatch.Contains => "containing",
        RangeMatch.Equals => "equal to",
        RangeMatch.Overlaps => "overlapping",
        _ => "outside",
    };

    private static string Kind(SourceKind k) => k switch
    {
        SourceKind.Ipv4Cidr => "ipv4",
        SourceKind.Ipv6Cidr => "ipv6",
        SourceKind.PrefixList => "prefix-list",
        _ => "group",
    };

    private static string List(IEnumerable<string> values)
    {
        var v = values.ToArray();
        return v.Length == 1 ? v[0] : "[" + string.Join(", ", v) + "]";
    }
}
