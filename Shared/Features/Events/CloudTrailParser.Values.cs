using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Events;

/// <summary>Readers that also check a value's shape (<see cref="AwsValues"/>), naming the field at fault.</summary>
public static partial class CloudTrailParser
{
    private static string? GroupIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsGroupId, "a security group id is sg- and 8 or 17 lower-case hex digits");

    private static string? RuleIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsRuleId, "a security group rule id is sgr- and 8 or 17 lower-case hex digits");

    private static string? PrefixListAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsPrefixListId, "a prefix list id is pl- and 8 or 17 lower-case hex digits");

    private static string? UserIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsAccountId, "the owner of a referenced group is a 12-digit AWS account id");

    private static string? Ipv4At(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsIpv4Cidr, "expected an IPv4 CIDR such as 203.0.113.0/24");

    private static string? Ipv6At(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsIpv6Cidr, "expected an IPv6 CIDR such as 2001:db8::/32");

    /// <summary>A rule's description: EC2 takes at most 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&amp;;{}!$*.</summary>
    private static string? DescriptionAt(JsonField parent, string name) => Checked(parent, name, AwsValues.DescriptionProblem);

    private static string? GroupNameAt(JsonField parent, string name) => Checked(parent, name, AwsValues.GroupNameProblem);

    /// <summary>A rule id read by the caller (e.g. an array element), checked at <paramref name="path"/>.</summary>
    private static string CheckRuleId(string value, string path) =>
        AwsValues.IsRuleId(value) ? value : throw RejectedException.Invalid(path, $"'{AwsValues.Quote(value)}' is not a security group rule id (sgr- and 8 or 17 lower-case hex digits)");

    /// <summary>The normalised protocol at <paramref name="name"/> (see <see cref="AwsValues.IsProtocol"/>).</summary>
    private static string ProtocolAt(JsonField parent, string name)
    {
        var text = parent.RequireStr(name);
        return AwsValues.IsProtocol(text)
            ? SecurityGroupRule.NormaliseProtocol(text)
            : throw RejectedException.Invalid(parent.Child(name), $"'{AwsValues.Quote(text)}': a protocol is tcp, udp, icmp, icmpv6, a protocol number 0-255, or -1 (all)");
    }

    /// <summary>The <paramref name="fromName"/>/<paramref name="toName"/> ports of <paramref name="parent"/>, in range for <paramref name="protocol"/>.
    /// TCP, UDP and ICMP need both ("For tcp, udp, and icmp, you must specify a port range"); ICMPv6 and the others may omit them.</summary>
    private static (int? From, int? To) PortsAt(JsonField parent, string protocol, string fromName, string toName)
    {
        var from = parent.Int(fromName);
        var to = parent.Int(toName);
        if (protocol is "tcp" or "udp" or "icmp" && (from is null || to is null))
        {
            var missing = from is null ? fromName : toName;
            throw RejectedException.Missing(parent.Child(missing), $"a {protocol} rule has a port range (fromPort and toPort)");
        }
        if (AwsValues.PortProblem(protocol, from, to) is { } problem)
        {
            throw RejectedException.Invalid(parent.Child(problem.Field == "from" ? fromName : toName), problem.Reason);
        }
        return (from, to);
    }

    private static string? Checked(JsonField parent, string name, Func<string, bool> valid, string expected) =>
        Checked(parent, name, v => valid(v) ? null : expected);

    /// <summary>The string at <paramref name="name"/>, refused naming the field when <paramref name="problem"/> finds one.</summary>
    private static string? Checked(JsonField parent, string name, Func<string, string?> problem)
    {
        var value = parent.Str(name);
        if (value is not null && problem(value) is { } reason)
        {
            throw RejectedException.Invalid(parent.Child(name), $"'{AwsValues.Quote(value)}': {reason}");
        }
        return value;
    }
}
