using System.Globalization;
using System.Text;

namespace SgBridge.Shared.Domain;

/// <summary>Where the traffic of an inbound rule may come from.</summary>
public enum SourceKind
{
    Ipv4Cidr,
    Ipv6Cidr,
    PrefixList,
    ReferencedGroup,
}

/// <summary>
/// The source of one inbound rule. For a referenced group, <see cref="UserId"/> is the owning account
/// (absent for the same account) and <see cref="VpcId"/>/<see cref="PeeringId"/> describe a peered VPC.
/// </summary>
public sealed record RuleSource(SourceKind Kind, string Value, string? UserId = null, string? VpcId = null, string? PeeringId = null)
{
    public static RuleSource Ipv4(string cidr) => new(SourceKind.Ipv4Cidr, cidr);
    public static RuleSource Ipv6(string cidr) => new(SourceKind.Ipv6Cidr, cidr);
    public static RuleSource PrefixList(string id) => new(SourceKind.PrefixList, id);
    public static RuleSource Group(string groupId, string? userId = null) => new(SourceKind.ReferencedGroup, groupId, userId);

    /// <summary>True when both name the same source (the owning account is compared only when both know it).</summary>
    public bool SameSourceAs(RuleSource other) =>
        Kind == other.Kind
        && string.Equals(Value, other.Value, StringComparison.OrdinalIgnoreCase)
        && (UserId is null || other.UserId is null || UserId == other.UserId);

    public override string ToString() => Kind switch
    {
        SourceKind.ReferencedGroup when UserId is not null => $"{UserId}/{Value}",
        _ => Value,
    };
}

/// <summary>
/// One rule in EC2's sense: one protocol, port range and source (a CloudTrail permission with several sources is several
/// rules). Protocol is normalised ("-1": all); for ICMP, FromPort is the type and ToPort the code.
/// </summary>
public sealed record SecurityGroupRule(string Protocol, int? FromPort, int? ToPort, RuleSource Source, string? Description = null, string? RuleId = null)
{
    /// <summary>An outbound rule (only policed with Policy:PoliceEgress); <see cref="Source"/> is then the destination.</summary>
    public bool Egress { get; init; }

    /// <summary>Same access: direction, protocol, ports and source; description and rule id do not matter (as for EC2 revoke by properties).</summary>
    public bool SameAccessAs(SecurityGroupRule other) =>
        Egress == other.Egress
        && Protocol == other.Protocol
        && NormalisedFrom == other.NormalisedFrom
        && NormalisedTo == other.NormalisedTo
        && Source.SameSourceAs(other.Source);

    private int? NormalisedFrom => Protocol == "-1" ? null : FromPort;
    private int? NormalisedTo => Protocol == "-1" ? null : ToPort;

    public bool IsAllTraffic => Protocol == "-1";

    /// <summary>Normalises the protocol names and numbers CloudTrail and EC2 use.</summary>
    public static string NormaliseProtocol(string? protocol)
    {
        var p = (protocol ?? "-1").Trim().ToLowerInvariant();
        return p switch
        {
            "" or "all" or "-1" => "-1",
            "6" => "tcp",
            "17" => "udp",
            "1" => "icmp",
            "58" => "icmpv6",
            _ => p,
        };
    }

    /// <summary>Human-readable port text, e.g. "22", "8000-8100", "all", "type 8 code -1".</summary>
    public string PortText()
    {
        if (IsAllTraffic) return "all";
        if (Protocol is "icmp" or "icmpv6")
        {
            return FromPort is null or -1 ? "all types" : ToPort is null or -1 ? $"type {FromPort}" : $"type {FromPort} code {ToPort}";
        }
        if (FromPort is null && ToPort is null) return "all";
        if (FromPort == ToPort) return FromPort!.Value.ToString(CultureInfo.InvariantCulture);
        if (FromPort == 0 && ToPort == 65535) return "all ports";
        return $"{FromPort}-{ToPort}";
    }

    public string ProtocolText() => Protocol switch
    {
        "-1" => "all traffic",
        "tcp" or "udp" or "icmp" or "icmpv6" => Protocol.ToUpperInvariant(),
        _ => $"protocol {Protocol}",
    };

    /// <summary>A key for the access alone (direction, protocol, ports, source), equal exactly when <see cref="SameAccessAs"/> holds
    /// for sources whose owning account is known on both sides.</summary>
    public string AccessKey => string.Join('|', Egress ? "out" : "in", Protocol, IsAllTraffic ? "" : FromPort?.ToString(CultureInfo.InvariantCulture),
        IsAllTraffic ? "" : ToPort?.ToString(CultureInfo.InvariantCulture), Source.Kind, Source.Value.ToLowerInvariant());

    /// <summary>Same access and the same description: the whole content of a rule but its id.</summary>
    public bool SameContentAs(SecurityGroupRule other) =>
        SameAccessAs(other) && string.Equals(Description ?? "", other.Description ?? "", StringComparison.Ordinal);

    /// <summary>"TCP 22 from 10.0.0.0/8 (ssh from office)"; outbound rules read "… to …".</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        if (Egress) sb.Append("outbound ");
        sb.Append(ProtocolText());
        if (!IsAllTraffic) sb.Append(' ').Append(PortText());
        sb.Append(Egress ? " to " : " from ").Append(Source);
        if (!string.IsNullOrEmpty(Description)) sb.Append(" (").Append(Description).Append(')');
        return sb.ToString();
    }
}
