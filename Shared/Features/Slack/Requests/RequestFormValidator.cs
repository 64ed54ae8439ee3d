using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>A request modal's fields, checked: the account and region are allowed, the rule is one EC2 accepts.</summary>
public sealed record RequestForm(string AccountId, string Region, string? GroupId, string? GroupName, SecurityGroupRule Rule, TimeSpan? Duration, string Reason);

/// <summary>The outcome of checking a modal: the form, or the errors keyed by block id (Slack's <c>response_action: errors</c>).</summary>
public sealed record FormCheck(RequestForm? Form, IReadOnlyDictionary<string, string> Errors)
{
    public bool IsValid => Form is not null && Errors.Count == 0;
}

/// <summary>Checks every field of a request modal submission (a forged one carries any value); each error names the field and what is expected.</summary>
public sealed partial class RequestFormValidator(PolicyOptions policy, ApprovalsOptions durations)
{
    public const int MaxReasonLength = 1000;
    public const int MaxDescriptionLength = 255;

    public FormCheck Check(IReadOnlyDictionary<string, string?> values)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Get(string block) => values.TryGetValue(block, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var account = CheckAccount(Get(RequestBlocks.Account), errors);
        var region = Get(RequestBlocks.Region) switch
        {
            null => Refuse<string>(errors, RequestBlocks.Region, "Choose a region."),
            var r when !AwsRegions.IsKnown(r) =>
                Refuse<string>(errors, RequestBlocks.Region, $"'{Short(r)}' is not an AWS region (e.g. eu-west-1)."),
            var r => r,
        };

        var (groupId, groupName) = CheckGroup(Get(RequestBlocks.Group), errors);

        var direction = Get(RequestBlocks.Direction) ?? "ingress";
        var egress = direction == "egress";
        if (direction is not ("ingress" or "egress"))
        {
            errors[RequestBlocks.Direction] = "Choose inbound or outbound.";
        }
        else if (egress && !policy.PoliceEgress)
        {
            errors[RequestBlocks.Direction] = "Outbound rules are not policed by this bridge (Policy:PoliceEgress is off): only inbound rules can be requested.";
        }

        var protocol = Get(RequestBlocks.Protocol) is { } p && RequestBlocks.Protocols.Contains(p)
            ? (p == "all" ? "-1" : p)
            : Refuse<string>(errors, RequestBlocks.Protocol, "Choose TCP, UDP, ICMP, ICMPv6 or all traffic.");
        var (from, to) = protocol is null ? (null, null) : CheckPorts(protocol, Get(RequestBlocks.Ports), errors);
        var source = CheckSource(Get(RequestBlocks.Source), account, errors);
        if (source is { Kind: SourceKind.Ipv4Cidr } && protocol == "icmpv6")
        {
            errors[RequestBlocks.Source] = "ICMPv6 needs an IPv6 source (e.g. 2001:db8::/32).";
        }

        var description = Get(RequestBlocks.Description);
        if (description is not null && (description.Length > MaxDescriptionLength || !DescriptionChars().IsMatch(description)))
        {
            errors[RequestBlocks.Description] = $"A rule description is at most {MaxDescriptionLength} characters of letters, digits, spaces and ._-:/()#,@[]+=&;{{}}!$* (EC2's rule).";
        }

        var choice = durations.Find(Get(RequestBlocks.Duration))
            ?? Refuse<ApprovalDuration>(errors, RequestBlocks.Duration,
                $"Choose one of: {string.Join(", ", durations.GetChoices().Select(c => c.Label))}.");

        var reason = Get(RequestBlocks.Reason) switch
        {
            null or { Length: < 3 } =>
                Refuse<string>(errors, RequestBlocks.Reason, "Say why you need this rule (a ticket, a purpose): the approvers read it."),
            { Length: > MaxReasonLength } =>
                Refuse<string>(errors, RequestBlocks.Reason, $"The reason is longer than {MaxReasonLength} characters."),
            var r => r,
        };

        if (errors.Count > 0)
        {
            return new FormCheck(null, errors);
        }
        var rule = new SecurityGroupRule(protocol!, from, to, source!, description) { Egress = egress };
        return new FormCheck(new RequestForm(account!, region!, groupId, groupName, rule, choice!.Length, reason!), errors);
    }

    private string? CheckAccount(string? value, Dictionary<string, string> errors)
    {
        if (value is null)
        {
            return Refuse<string>(errors, RequestBlocks.Account, "Choose an AWS account.");
        }
        var id = AccountId().IsMatch(value)
            ? value
            : policy.AccountAliasMap.FirstOrDefault(a => string.Equals(a.Value, value, StringComparison.OrdinalIgnoreCase)).Key;
        if (id is null)
        {
            return Refuse<string>(errors, RequestBlocks.Account, $"'{Short(value)}' is neither a 12-digit account id nor a known alias.");
        }
        if (!policy.AllowsAccount(id))
        {
            return Refuse<string>(errors, RequestBlocks.Account, $"Account {id} is not one this bridge polices (Policy:AllowedAccounts).");
        }
        return id;
    }

    private static (string? Id, string? Name) CheckGroup(string? value, Dictionary<string, string> errors)
    {
        if (value is null)
        {
            return Refuse<(string?, string?)>(errors, RequestBlocks.Group, "Give the group's id (sg-…) or name.");
        }
        if (value.StartsWith("sg-", StringComparison.OrdinalIgnoreCase))
        {
            if (!GroupId().IsMatch(value))
            {
                return Refuse<(string?, string?)>(errors, RequestBlocks.Group, $"'{Short(value)}' is not a security group id (sg- followed by 8 or 17 hex digits).");
            }
            return (value.ToLowerInvariant(), null);
        }
        if (value.Length > 255 || value.Any(char.IsControl))
        {
            return Refuse<(string?, string?)>(errors, RequestBlocks.Group, "A group name is at most 255 printable characters.");
        }
        return (null, value);
    }

    private static (int? From, int? To) CheckPorts(string protocol, string? value, Dictionary<string, string> errors)
    {
        switch (protocol)
        {
            case "-1":
                if (value is not null)
                {
                    errors[RequestBlocks.Ports] = "All traffic has no ports: leave the ports empty, or choose TCP or UDP.";
                }
                return (null, null);
            case "icmp" or "icmpv6":
                if (value is null)
                {
                    return (-1, -1);
                }
                var icmp = IcmpPorts().Match(value);
                if (!icmp.Success || !Number(icmp.Groups[1].Value, 0, 255, out var type) || (icmp.Groups[2].Success && !Number(icmp.Groups[2].Value, 0, 255, out _)))
                {
                    return Refuse<(int?, int?)>(errors, RequestBlocks.Ports, "For ICMP give a type (0-255) or type:code, or leave it empty for all types.");
                }
                return (type, icmp.Groups[2].Success ? int.Parse(icmp.Groups[2].Value, CultureInfo.InvariantCulture) : -1);
            default:
                if (value is null)
                {
                    return Refuse<(int?, int?)>(errors, RequestBlocks.Ports, "Give a port (22) or a range (8000-8100).");
                }
                var m = PortRange().Match(value);
                if (!m.Success || !Number(m.Groups[1].Value, 0, 65535, out var from))
                {
                    return Refuse<(int?, int?)>(errors, RequestBlocks.Ports, $"'{Short(value)}' is not a port (0-65535) or a range like 8000-8100.");
                }
                var to = from;
                if (m.Groups[2].Success && !Number(m.Groups[2].Value, 0, 65535, out to))
                {
                    return Refuse<(int?, int?)>(errors, RequestBlocks.Ports, $"'{Short(value)}': the end of the range is not a port (0-65535).");
                }
                if (to < from)
                {
                    return Refuse<(int?, int?)>(errors, RequestBlocks.Ports, $"'{Short(value)}': the range ends before it starts.");
                }
                return (from, to);
        }
    }

    private static RuleSource? CheckSource(string? value, string? account, Dictionary<string, string> errors)
    {
        if (value is null)
        {
            return Refuse<RuleSource>(errors, RequestBlocks.Source, "Give a CIDR (10.0.0.0/8, 2001:db8::/32), a prefix list (pl-…) or a security group (sg-…).");
        }
        if (PrefixList().IsMatch(value))
        {
            return RuleSource.PrefixList(value.ToLowerInvariant());
        }
        var group = ReferencedGroup().Match(value);
        if (group.Success)
        {
            var owner = group.Groups[1].Success ? group.Groups[1].Value : null;
            return RuleSource.Group(group.Groups[2].Value.ToLowerInvariant(), owner is null || owner == account ? null : owner);
        }
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            return Refuse<RuleSource>(errors, RequestBlocks.Source, $"'{Short(value)}' is not a CIDR (10.0.0.0/8, 2001:db8::/32), a prefix list (pl-…) or a security group (sg-…).");
        }
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var max = v6 ? 128 : 32;
        if (prefix > max)
        {
            return Refuse<RuleSource>(errors, RequestBlocks.Source, $"'{Short(value)}': an {(v6 ? "IPv6" : "IPv4")} prefix length is 0-{max}.");
        }
        var network = Network(address, prefix);
        var canonical = $"{network}/{prefix}";
        if (!network.Equals(address))
        {
            return Refuse<RuleSource>(errors, RequestBlocks.Source, $"'{Short(value)}' has host bits set: did you mean {canonical}?");
        }
        return v6 ? RuleSource.Ipv6(canonical) : RuleSource.Ipv4(canonical);
    }

    private static IPAddress Network(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }

    /// <summary>Records why <paramref name="block"/> is refused; the field then has no value.</summary>
    private static T? Refuse<T>(Dictionary<string, string> errors, string block, string message)
    {
        errors[block] = message;
        return default;
    }

    private static bool Number(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static string Short(string value) => SlackText.Plain(value, 60);

    [GeneratedRegex(@"\A[0-9]{12}\z")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"\Asg-([0-9a-f]{8}|[0-9a-f]{17})\z", RegexOptions.IgnoreCase)]
    private static partial Regex GroupId();

    [GeneratedRegex(@"\A([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?\z")]
    private static partial Regex PortRange();

    [GeneratedRegex(@"\A([0-9]{1,3})(?::([0-9]{1,3}))?\z")]
    private static partial Regex IcmpPorts();

    [GeneratedRegex(@"\Apl-[0-9a-f]{8,17}\z", RegexOptions.IgnoreCase)]
    private static partial Regex PrefixList();

    [GeneratedRegex(@"\A(?:([0-9]{12})/)?(sg-(?:[0-9a-f]{8}|[0-9a-f]{17}))\z", RegexOptions.IgnoreCase)]
    private static partial Regex ReferencedGroup();

    [GeneratedRegex(@"\A[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*\z")]
    private static partial Regex DescriptionChars();
}
