using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SgBridge.Shared.Events;

/// <summary>The shapes of the values EC2 writes into CloudTrail records. Only what no successful EC2 call can carry is refused:
/// a refused event is never policed, so a rule here stricter than EC2 would let a real change through unreverted.</summary>
public static partial class AwsValues
{
    public const int MinPort = -1;
    public const int MaxPort = 65535;
    public const int MaxIcmpTypeOrCode = 255;

    public static bool IsGroupId(string? value) => IsResourceId(value, "sg-");

    public static bool IsRuleId(string? value) => IsResourceId(value, "sgr-");

    public static bool IsPrefixListId(string? value) => IsResourceId(value, "pl-");

    /// <summary>EC2's resource ids: the prefix, then 8 to 17 lower-case hex digits (today 8 or 17).</summary>
    private static bool IsResourceId(string? value, string prefix) =>
        value is not null && value.StartsWith(prefix, StringComparison.Ordinal) && HexId().IsMatch(value.AsSpan(prefix.Length));

    public static bool IsAccountId(string? value) => value is not null && AccountId().IsMatch(value);

    /// <summary>Four decimal octets, '/', a prefix length 0–32. Bits beyond the prefix pass (EC2 masks them off), so
    /// <c>10.0.0.5/8</c> passes; shorthand (<c>10/8</c>) does not.</summary>
    public static bool IsIpv4Cidr(string? value)
    {
        if (value is null || !Ipv4Cidr().IsMatch(value)) return false;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return IPAddress.TryParse(value.AsSpan(0, slash), out var address)
            && address.AddressFamily == AddressFamily.InterNetwork
            && value.AsSpan(0, slash).ToString().Split('.').All(o => int.Parse(o, CultureInfo.InvariantCulture) <= 255)
            && int.Parse(value.AsSpan(slash + 1), CultureInfo.InvariantCulture) <= 32;
    }

    /// <summary>An IPv6 CIDR: an IPv6 address (no zone id), '/', a prefix length 0–128. Bits beyond the prefix are accepted, as for IPv4.</summary>
    public static bool IsIpv6Cidr(string? value)
    {
        if (value is null || !Ipv6Cidr().IsMatch(value)) return false;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return IPAddress.TryParse(value.AsSpan(0, slash), out var address)
            && address.AddressFamily == AddressFamily.InterNetworkV6
            && int.Parse(value.AsSpan(slash + 1), CultureInfo.InvariantCulture) <= 128;
    }

    /// <summary>Why a group name cannot come from EC2 (over 255 characters, or outside EC2's set for VPC groups), or null. No
    /// storage key is built from a group name, so storage limits none.</summary>
    public static string? GroupNameProblem(string name) => TextProblem(name, "a group name", sayControl: true);

    /// <summary>A protocol as EC2 takes it: tcp, udp, icmp, icmpv6 (any case), a protocol number 0–255 written plainly, or -1 (all).</summary>
    public static bool IsProtocol(string? value) =>
        value is not null && (value.ToLowerInvariant() is "tcp" or "udp" or "icmp" or "icmpv6" || ProtocolNumber().IsMatch(value)
            && int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) <= 255);

    /// <summary>The characters EC2 allows in a rule description besides ASCII letters and digits.</summary>
    public const string DescriptionPunctuation = " ._-:/()#,@[]+=&;{}!$*";

    /// <summary>Why a rule description cannot come from EC2, or null: more than 255 characters, or a character EC2 refuses.</summary>
    public static string? DescriptionProblem(string value) => TextProblem(value, "a rule description", sayControl: false);

    private static readonly SearchValues<char> TextCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + DescriptionPunctuation);

    /// <summary>At most 255 characters, each a letter, a digit or <see cref="DescriptionPunctuation"/>; the first character
    /// outside that set is named as a control character when <paramref name="sayControl"/>.</summary>
    private static string? TextProblem(string value, string what, bool sayControl)
    {
        if (value.Length > 255) return $"{what} is at most 255 characters";
        var at = value.AsSpan().IndexOfAnyExcept(TextCharacters);
        return at < 0 ? null
            : sayControl && char.IsControl(value[at]) ? $"{what} holds no control characters"
            : $"{what} holds only a-z, A-Z, 0-9 and {DescriptionPunctuation.Trim()} and spaces";
    }

    /// <summary>The offending field ("from" or "to") and why. TCP/UDP: −1..65535, from ≤ to. ICMP: type and code −1..255 in no
    /// order. Other protocols: EC2 ignores the ports, so their order is not checked.</summary>
    public static (string Field, string Reason)? PortProblem(string protocol, int? from, int? to)
    {
        var icmp = protocol is "icmp" or "icmpv6";
        var max = icmp ? MaxIcmpTypeOrCode : MaxPort;
        var what = icmp ? $"an ICMP type or code is -1..{MaxIcmpTypeOrCode}" : $"a port is {MinPort}..{MaxPort}";
        if (from is { } f && (f < MinPort || f > max)) return ("from", $"{f} is out of range: {what}");
        if (to is { } t && (t < MinPort || t > max)) return ("to", $"{t} is out of range: {what}");
        if (protocol is "tcp" or "udp" && from is { } a && to is { } b && a > b) return ("to", $"the range {a}-{b} ends before it starts");
        return null;
    }

    /// <summary>A value for a message: at most <paramref name="max"/> characters, control characters escaped (messages reach logs and HTTP answers).</summary>
    public static string Quote(string value, int max = 64)
    {
        var text = value.Length <= max ? value : value[..max] + "…";
        if (!text.Any(char.IsControl)) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"\A[0-9a-f]{8,17}\z")]
    private static partial Regex HexId();

    [GeneratedRegex(@"\A[0-9]{12}\z")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"\A(?:-1|0|[1-9][0-9]{0,2})\z")]
    private static partial Regex ProtocolNumber();

    [GeneratedRegex(@"\A[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}\z")]
    private static partial Regex Ipv4Cidr();

    [GeneratedRegex(@"\A[0-9A-Fa-f:.]{2,45}/[0-9]{1,3}\z")]
    private static partial Regex Ipv6Cidr();
}
