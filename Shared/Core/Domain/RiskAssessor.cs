namespace SgBridge.Shared.Domain;

/// <summary>Flags that make an approver look twice: the internet on admin or database ports, all traffic, wide ranges.</summary>
public static class RiskAssessor
{
    private static readonly (int Port, string Name)[] Sensitive =
    [
        (22, "SSH"), (3389, "RDP"), (23, "Telnet"), (21, "FTP"), (445, "SMB"), (5985, "WinRM"), (5986, "WinRM"),
        (3306, "MySQL"), (5432, "PostgreSQL"), (1433, "SQL Server"), (1521, "Oracle"), (27017, "MongoDB"),
        (6379, "Redis"), (9200, "Elasticsearch"), (5984, "CouchDB"), (11211, "Memcached"), (2375, "Docker API"), (6443, "Kubernetes API"),
    ];

    public static bool IsInternet(RuleSource s) =>
        (s.Kind == SourceKind.Ipv4Cidr && s.Value == "0.0.0.0/0") || (s.Kind == SourceKind.Ipv6Cidr && s.Value == "::/0");

    /// <summary>Why a rule is risky to accept as it stands (the internet on an admin or database port, or all traffic from it); null if it is not.</summary>
    public static string? WorldOpenRisk(SecurityGroupRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Egress || !IsInternet(rule.Source))
        {
            return null;
        }
        if (rule.IsAllTraffic)
        {
            return $"all traffic open to the internet ({rule.Source.Value})";
        }
        if (rule.Protocol is "tcp" or "udp" && rule.FromPort is { } from && rule.ToPort is { } to)
        {
            var names = Sensitive.Where(p => p.Port >= from && p.Port <= to).Select(p => $"{p.Name} ({p.Port})").ToArray();
            return names.Length == 0 ? null : $"{string.Join(", ", names)} open to the internet ({rule.Source.Value})";
        }
        return null;
    }

    /// <summary>The flags of the access a request would grant (for a modify: the new content).</summary>
    public static IReadOnlyList<string> Assess(ChangeRequest request)
    {
        var flags = new List<string>();
        foreach (var rule in request.GrantedRules)
        {
            var internet = IsInternet(rule.Source);
            // An outbound rule's source is its destination: its flags say "outbound … to", never "from" or "open to".
            var where = internet ? $"the internet ({rule.Source.Value})" : rule.Source.ToString();
            var (way, open, outbound) = rule.Egress ? ("to", "outbound to", "outbound ") : ("from", "open to", "");
            if (rule.IsAllTraffic)
            {
                flags.Add($"{(rule.Egress ? "Outbound all" : "All")} traffic {way} {where}");
                continue;
            }
            if (rule.Protocol is "tcp" or "udp" && rule.FromPort is { } from && rule.ToPort is { } to)
            {
                if (internet)
                {
                    flags.AddRange(Sensitive.Where(p => p.Port >= from && p.Port <= to).Select(p => $"{p.Name} ({p.Port}) {open} {where}"));
                }
                if (to - from >= 1000)
                {
                    flags.Add($"Wide {outbound}port range {from}-{to} {way} {where}");
                }
                else if (internet && !Sensitive.Any(p => p.Port >= from && p.Port <= to) && from != 80 && from != 443)
                {
                    flags.Add($"{rule.ProtocolText()} {rule.PortText()} {open} {where}");
                }
            }
            else if (internet)
            {
                flags.Add($"{rule.ProtocolText()} {open} {where}");
            }
        }
        if (request.PreviousContentUnknown)
        {
            flags.Add("Previous content unknown: the bridge removed the rule(s) to fail closed");
        }
        return flags.Distinct().ToList();
    }
}
