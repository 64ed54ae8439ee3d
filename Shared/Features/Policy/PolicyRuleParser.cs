using System.Globalization;
using System.Text.RegularExpressions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

/// <summary>Turns a policy file (docs/policy.md) into a <see cref="PolicyRuleSet"/>, refusing anything it does not understand.
/// Every error names the file and the line; all of them are reported at once.</summary>
public static partial class PolicyRuleParser
{
    private static readonly string[] RuleKeys = ["name", "description", "when", "outcome", "duration", "acknowledge"];
    private static readonly string[] WhenKeys = ["account", "region", "groupId", "groupName", "vpc", "change", "protocol", "ports", "source", "requester", "timeBound", "groupTags"];
    private static readonly string[] PortModes = ["within", "contains", "equals", "overlaps", "outside"];
    private static readonly string[] CidrModes = ["within", "contains", "equals"];
    private static readonly string[] SourceKeys = ["kind", "within", "contains", "equals", "prefixList", "group"];

    public static PolicyRuleSet Parse(string text, string source, IReadOnlyDictionary<string, string>? accountAliases = null)
    {
        var root = PolicyDocument.Parse(text, source);
        var errors = new List<PolicyError>();
        var rules = new List<PolicyRule>();
        var c = new Context(source, errors, accountAliases ?? new Dictionary<string, string>());
        if (root is not PolicyMap top)
        {
            throw new PolicyFileException([new PolicyError(source, root.Line, "the policy must be a mapping with one key, 'rules'")]);
        }
        c.UnknownKeys(top, ["rules"], "the policy");
        var items = Get(top, "rules") switch
        {
            null => c.Fail<PolicyList>(top, "the policy has no 'rules' list"),
            PolicyList list => list,
            var other => c.Fail<PolicyList>(other, "'rules' must be a list of rules"),
        };
        foreach (var rule in (items?.Items ?? []).Select(item => ParseRule(item, c)).OfType<PolicyRule>())
        {
            if (rules.FirstOrDefault(r => string.Equals(r.Name, rule.Name, StringComparison.OrdinalIgnoreCase)) is { } twin)
            {
                c.Add(rule.Line, $"rule name '{rule.Name}' is used twice (first on line {twin.Line}): names must be unique");
            }
            rules.Add(rule);
        }
        if (errors.Count > 0)
        {
            throw new PolicyFileException(errors);
        }
        return new PolicyRuleSet(source, rules);
    }

    private sealed record Context(string Source, List<PolicyError> Errors, IReadOnlyDictionary<string, string> Aliases)
    {
        public void Add(PolicyNode at, string message) => Add(at.Line, message);

        public void Add(int line, string message) => Errors.Add(new PolicyError(Source, line, message));

        /// <summary>Records the error and yields no value (for conversions that fail).</summary>
        public T? Fail<T>(PolicyNode at, string message)
        {
            Add(at, message);
            return default;
        }

        public string? Fail(PolicyNode at, string message) => Fail<string>(at, message);

        public void UnknownKeys(PolicyMap map, string[] known, string where)
        {
            foreach (var (key, line, _) in map.Entries.Where(e => !known.Contains(e.Key, StringComparer.Ordinal)))
            {
                Add(line, $"unknown key '{key}' in {where} (known: {string.Join(", ", known)})");
            }
        }
    }

    private static PolicyNode? Get(PolicyMap map, string key) => map.Entries.FirstOrDefault(e => e.Key == key).Value;

    private static PolicyRule? ParseRule(PolicyNode node, Context c)
    {
        if (node is not PolicyMap map)
        {
            c.Add(node, "a rule must be a mapping with name, when, outcome (and duration for approve)");
            return null;
        }
        var name = Get(map, "name") is PolicyScalar { Value: { Length: > 0 } n } ? n.Trim() : null;
        var label = name is null ? $"the rule on line {map.Line}" : $"rule '{name}'";
        var errorsBefore = c.Errors.Count;
        c.UnknownKeys(map, RuleKeys, label);
        if (name is null)
        {
            c.Add(Get(map, "name") ?? map, "a rule needs a 'name' (text)");
        }
        else if (!RuleName().IsMatch(name))
        {
            c.Add(Get(map, "name")!, $"rule name '{name}' must be 1-64 letters, digits, '-', '_' or '.'");
        }

        PolicyOutcome? outcome = Get(map, "outcome") switch
        {
            null => c.Fail<PolicyOutcome?>(map, $"{label} needs an 'outcome': approve, deny or ask"),
            PolicyScalar { Value: { } o } when Enum.TryParse<PolicyOutcome>(o, ignoreCase: true, out var parsed) && !int.TryParse(o, out _) => parsed,
            var other => c.Fail<PolicyOutcome?>(other, $"{label} has outcome '{(other as PolicyScalar)?.Value}': write approve, deny or ask"),
        };

        var duration = Get(map, "duration") switch
        {
            null => null,
            var d when outcome is PolicyOutcome.Deny or PolicyOutcome.Ask =>
                c.Fail<TimeSpan?>(d, $"{label} has a duration, but its outcome is {outcome.ToString()!.ToLowerInvariant()}: only approve takes a duration"),
            PolicyScalar { Value: { } text } when Duration(text) is { } span => span,
            var d => c.Fail<TimeSpan?>(d, $"{label} has duration '{(d as PolicyScalar)?.Value}': write a positive number with a unit, " +
                $"e.g. 30m, 8h, 7d (at most {ApprovalsOptions.MaxLength.TotalDays:0}d)"),
        };

        var when = Get(map, "when") switch
        {
            PolicyMap w => ParseWhen(w, label, c),
            null or PolicyScalar { Value: null } => new PolicyConditions(),
            var other => c.Fail<PolicyConditions>(other, $"'when' of {label} must be a mapping of conditions") ?? new PolicyConditions(),
        };
        var acknowledge = Get(map, "acknowledge") switch
        {
            null => null,
            PolicyScalar { Value: { } a } ack when a.Trim().Length > 0 => outcome == PolicyOutcome.Approve
                ? a.Trim()
                : c.Fail(ack, $"{label} has 'acknowledge', but its outcome is not approve: only a dangerous approval needs one"),
            var other => c.Fail(other, $"'acknowledge' of {label} must be a text saying why the risk is accepted"),
        };
        if (name is null || outcome is null)
        {
            return null;
        }
        // A dangerous approval (PolicyRisk) is refused unless it says why the risk is accepted; an acknowledged one is
        // still reported as a warning (PolicyRuleSet.Warnings) by `policy validate` and `policy test`.
        var rule = new PolicyRule(name, map.Line, outcome.Value, duration, when) { Acknowledge = acknowledge };
        // Judged only on a rule that parsed whole (a condition in error would make the judgement about a rule not written).
        if (acknowledge is null && c.Errors.Count == errorsBefore && PolicyRisk.Of(rule) is { } risk)
        {
            c.Add(map, $"{label} {risk}: refused. Narrow it, or add 'acknowledge: <why the risk is accepted>' to the rule");
        }
        return rule;
    }

    private static PolicyConditions ParseWhen(PolicyMap w, string label, Context c)
    {
        foreach (var (key, line, _) in w.Entries.Where(e => e.Key is "tags" or "groupTag"))
        {
            c.Add(line, $"'{key}' in {label}: write 'groupTags' (a mapping of tag key to value, e.g. groupTags: {{ env: dev }})");
        }
        c.UnknownKeys(new PolicyMap(w.Line, w.Entries.Where(e => e.Key is not ("tags" or "groupTag")).ToArray()), WhenKeys, $"'when' of {label}");
        var where = $"in {label}";
        return new PolicyConditions
        {
            Accounts = Values(w, "account", where, c, (v, n) => AwsValues.IsAccountId(v) || c.Aliases.Values.Contains(v, StringComparer.Ordinal)
                ? v
                : c.Fail(n, $"account '{v}' {where} is neither a 12-digit account id nor an alias in Policy:AccountAliases")),
            Regions = Values(w, "region", where, c, (v, n) => AwsRegions.IsKnown(v) ? v : c.Fail(n, $"region '{v}' {where} is not an AWS region name (e.g. eu-west-1)")),
            GroupIds = Values(w, "groupId", where, c, (v, n) => AwsValues.IsGroupId(v) ? v : c.Fail(n, $"groupId '{v}' {where} is not a security group id (sg-…)")),
            GroupNames = Values(w, "groupName", where, c, (v, _) => v),
            Vpcs = Values(w, "vpc", where, c, (v, n) => VpcId().IsMatch(v) ? v : c.Fail(n, $"vpc '{v}' {where} is not a VPC id (vpc-…)")),
            Changes = Values(w, "change", where, c, (v, n) => v.ToLowerInvariant() switch
            {
                "add" => ChangeKind.Add,
                "remove" => ChangeKind.Remove,
                "modify" => ChangeKind.Modify,
                _ => c.Fail<ChangeKind>(n, $"change '{v}' {where}: write add, remove or modify"),
            }),
            Protocols = Values(w, "protocol", where, c, (v, n) => Protocol(v) ?? c.Fail(n, $"protocol '{v}' {where}: write tcp, udp, icmp, icmpv6, all or a protocol number 0-255")),
            Ports = Get(w, "ports") is { } p ? ParsePorts(p, where, c) : null,
            Source = Get(w, "source") is { } s ? ParseSource(s, where, c) : null,
            Requesters = Values(w, "requester", where, c, (v, n) => v.StartsWith("arn:", StringComparison.Ordinal)
                ? v
                : c.Fail(n, $"requester '{v}' {where} is not an ARN pattern (arn:aws:iam::123456789012:role/Name; '*' and '?' allowed)")),
            TimeBound = Get(w, "timeBound") switch
            {
                null => null,
                PolicyScalar { Value: "true" or "True" } => true,
                PolicyScalar { Value: "false" or "False" } => false,
                var other => c.Fail<bool?>(other, $"timeBound {where} must be true or false"),
            },
            GroupTags = Get(w, "groupTags") is { } t ? ParseTags(t, where, c) : null,
        };
    }

    /// <summary>The longest tag key and value AWS allows.</summary>
    private const int MaxTagKey = 128, MaxTagValue = 256;

    /// <summary><c>groupTags: { env: dev, team: "pay*", owner: "*", tier: [web, api] }</c> (see <see cref="TagCondition"/>).</summary>
    private static IReadOnlyList<TagCondition>? ParseTags(PolicyNode node, string where, Context c)
    {
        if (node is not PolicyMap { Entries.Count: > 0 } map)
        {
            c.Add(node, $"'groupTags' {where} must be a mapping of tag key to value, e.g. groupTags: {{ env: dev, team: \"pay*\", owner: \"*\" }}");
            return null;
        }
        var conditions = new List<TagCondition>();
        foreach (var (key, line, value) in map.Entries)
        {
            if (key.Trim().Length == 0 || key.Length > MaxTagKey)
            {
                c.Add(line, $"tag key '{key}' in 'groupTags' {where} must be 1-{MaxTagKey} characters");
                continue;
            }
            IReadOnlyList<PolicyNode> items = value is PolicyList l ? l.Items : [value];
            if (items.Count == 0)
            {
                c.Add(value, $"tag '{key}' in 'groupTags' {where} has an empty list: write a value, a list of values, or \"*\" for any value");
                continue;
            }
            var values = items.Select(item => item switch
            {
                PolicyScalar { Value: null } => c.Fail(item, $"tag '{key}' in 'groupTags' {where} has no value: write the value, a glob such as \"pay*\", or \"*\" (quoted) for any value"),
                PolicyScalar { Value: { Length: > MaxTagValue } v } => c.Fail(item, $"tag '{key}' in 'groupTags' {where} has a value of {v.Length} characters: AWS tag values have at most {MaxTagValue}"),
                PolicyScalar { Value: { } v } => v,
                _ => c.Fail(item, $"tag '{key}' in 'groupTags' {where} must be a value or a list of values, not a mapping or nested list"),
            }).ToList();
            if (values.All(v => v is not null)) conditions.Add(new TagCondition(key, values.OfType<string>().ToArray()));
        }
        return conditions;
    }

    private static PortCondition? ParsePorts(PolicyNode node, string where, Context c)
    {
        // A bare list means "within".
        if (node is PolicyList or PolicyScalar)
        {
            return new PortCondition(RangeMatch.Within, PortList(node, where, c));
        }
        var map = (PolicyMap)node;
        c.UnknownKeys(map, PortModes, $"'ports' {where}");
        var modes = map.Entries.Where(e => PortModes.Contains(e.Key, StringComparer.Ordinal)).ToArray();
        if (modes.Length != 1)
        {
            if (map.Entries.All(e => PortModes.Contains(e.Key, StringComparer.Ordinal)))
            {
                c.Add(map, $"'ports' {where} needs exactly one of {string.Join(", ", PortModes)}");
            }
            return null;
        }
        return new PortCondition(Enum.Parse<RangeMatch>(modes[0].Key, ignoreCase: true), PortList(modes[0].Value, where, c));
    }

    private static IReadOnlyList<PortRange> PortList(PolicyNode node, string where, Context c) =>
        Items(node, "ports", where, c).Select(n => Port(n, where, c)).OfType<PortRange>().ToArray();

    private static PortRange? Port(PolicyScalar n, string where, Context c)
    {
        var ends = (n.Value ?? "").Split('-', 2, StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 65535 ? v : -1).ToArray();
        return ends.All(p => p >= 0) && ends[0] <= ends[^1]
            ? new PortRange(ends[0], ends[^1])
            : c.Fail<PortRange>(n, $"port '{n.Value ?? ""}' {where} is not a port (0-65535) or a range from-to with from <= to");
    }

    private static SourceCondition? ParseSource(PolicyNode node, string where, Context c)
    {
        if (node is not PolicyMap map)
        {
            c.Add(node, $"'source' {where} must be a mapping (kind, within, contains, equals, prefixList, group)");
            return null;
        }
        c.UnknownKeys(map, SourceKeys, $"'source' {where}");
        var kinds = Values(map, "kind", where, c, (v, n) => v.ToLowerInvariant() switch
        {
            "ipv4" or "cidr" => SourceKind.Ipv4Cidr,
            "ipv6" => SourceKind.Ipv6Cidr,
            "prefix-list" or "prefixlist" => SourceKind.PrefixList,
            "group" => SourceKind.ReferencedGroup,
            _ => c.Fail<SourceKind>(n, $"source kind '{v}' {where}: write ipv4, ipv6, prefix-list or group"),
        });
        var cidrModes = map.Entries.Where(e => CidrModes.Contains(e.Key, StringComparer.Ordinal)).ToArray();
        CidrCondition? cidr = null;
        if (cidrModes.Length > 1)
        {
            c.Add(cidrModes[1].KeyLine, $"'source' {where} has more than one of within, contains, equals: write one (or two rules)");
        }
        else if (cidrModes.Length == 1)
        {
            var networks = Items(cidrModes[0].Value, cidrModes[0].Key, where, c)
                .Select(n => IpNetwork.TryParse(n.Value?.Trim()) ?? c.Fail<IpNetwork>(n, $"'{n.Value}' {where} is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)"))
                .OfType<IpNetwork>().ToArray();
            cidr = new CidrCondition(Enum.Parse<RangeMatch>(cidrModes[0].Key, ignoreCase: true), networks);
        }
        var prefixLists = Values(map, "prefixList", where, c, (v, n) => v == "*" || AwsValues.IsPrefixListId(v) ? v : c.Fail(n, $"prefixList '{v}' {where} is not a prefix list id (pl-…) or '*'"));
        var groups = Values(map, "group", where, c, (v, n) =>
            v == "same-account" || AwsValues.IsGroupId(v) ? v : c.Fail(n, $"group '{v}' {where} is not a security group id (sg-…) or 'same-account'"));
        return new SourceCondition(kinds, cidr, prefixLists, groups?.Where(g => g != "same-account").ToArray() is { Length: > 0 } ids ? ids : null,
            groups?.Contains("same-account") == true);
    }

    /// <summary>A condition's values: a single scalar or a list of scalars, each converted (null results were errors).</summary>
    private static IReadOnlyList<T>? Values<T>(PolicyMap map, string key, string where, Context c, Func<string, PolicyScalar, T?> convert)
    {
        if (Get(map, key) is not { } node)
        {
            return null;
        }
        return Items(node, key, where, c)
            .Select(item => string.IsNullOrWhiteSpace(item.Value)
                ? c.Fail<T>(item, $"'{key}' {where} has an empty value")
                : convert(item.Value.Trim(), item))
            .OfType<T>()
            .ToArray();
    }

    private static IReadOnlyList<PolicyScalar> Items(PolicyNode node, string key, string where, Context c)
    {
        var items = node switch
        {
            PolicyScalar s => [s],
            PolicyList l => l.Items,
            _ => [],
        };
        if (node is PolicyMap || items.Count == 0)
        {
            c.Add(node, $"'{key}' {where} must be a value or a non-empty list of values");
        }
        foreach (var bad in items.Where(i => i is not PolicyScalar))
        {
            c.Add(bad, $"'{key}' {where} must list plain values, not lists or mappings");
        }
        return items.OfType<PolicyScalar>().ToArray();
    }

    private static string? Protocol(string v)
    {
        var p = SecurityGroupRule.NormaliseProtocol(v);
        if (p is "tcp" or "udp" or "icmp" or "icmpv6" or "-1")
        {
            return p;
        }
        return int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 255 ? p : null;
    }

    /// <summary>A time-bound approval's length, read as Approvals:Durations reads one; null when it is not one (or "permanent").</summary>
    private static TimeSpan? Duration(string text)
    {
        try
        {
            return text.Trim() is { Length: > 0 } t ? ApprovalsOptions.ParseLength(t) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"\Avpc-[0-9a-f]{8,17}\z")]
    private static partial Regex VpcId();

    [GeneratedRegex(@"\A[A-Za-z0-9_.-]{1,64}\z")]
    private static partial Regex RuleName();
}
