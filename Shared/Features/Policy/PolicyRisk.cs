using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Policy;

/// <summary>What an <c>approve</c> rule could let through unseen: a world-open administrative port, or anything (no conditions),
/// judged conservatively from the conditions alone. Refused at load unless acknowledged; then a warning.</summary>
public static class PolicyRisk
{
    /// <summary>Administrative and database ports that must never be open to the world by an automatic approval.</summary>
    public static IReadOnlyList<(int Port, string Name)> AdminPorts { get; } =
    [
        (22, "SSH"), (23, "Telnet"), (3389, "RDP"), (5985, "WinRM"), (5986, "WinRM over HTTPS"),
        (1433, "SQL Server"), (1521, "Oracle"), (3306, "MySQL"), (5432, "PostgreSQL"), (6379, "Redis"), (9200, "Elasticsearch"), (27017, "MongoDB"),
    ];

    private static readonly IpNetwork World4 = IpNetwork.TryParse("0.0.0.0/0")!;
    private static readonly IpNetwork World6 = IpNetwork.TryParse("::/0")!;

    /// <summary>Why <paramref name="rule"/> needs an acknowledgement, or null when it does not.</summary>
    public static string? Of(PolicyRule rule)
    {
        if (rule.Outcome != PolicyOutcome.Approve)
        {
            return null;
        }
        var w = rule.When;
        if (w == new PolicyConditions())
        {
            return "approves every change (it has no conditions)";
        }
        if (w.Changes is { } changes && !changes.Any(c => c is ChangeKind.Add or ChangeKind.Modify))
        {
            return null; // only removals: they take access away
        }
        if (w.Protocols is { } protocols && !protocols.Any(p => p is "tcp" or "-1"))
        {
            return null;
        }
        var world = WorldSources(w.Source);
        if (world.Count == 0)
        {
            return null;
        }
        var ports = AdminPorts.Where(p => AdmitsPort(w.Ports, p.Port)).Select(p => $"{p.Name} ({p.Port})").ToList();
        return ports.Count == 0
            ? null
            : $"approves opening {string.Join(", ", ports)} to the whole internet ({string.Join(", ", world)}) without a person looking";
    }

    /// <summary>The world ranges (0.0.0.0/0, ::/0) the source condition lets through.</summary>
    private static List<string> WorldSources(SourceCondition? s)
    {
        if (s is null)
        {
            return [World4.ToString(), World6.ToString()];
        }
        if (s.PrefixLists is not null || s.Groups is not null || s.SameAccountGroup)
        {
            return [];
        }
        return new[] { (World: World4, Kind: SourceKind.Ipv4Cidr), (World: World6, Kind: SourceKind.Ipv6Cidr) }
            .Where(w => (s.Kinds is null || s.Kinds.Contains(w.Kind)) && (s.Cidr is null || AdmitsWorld(s.Cidr, w.World)))
            .Select(w => w.World.ToString())
            .ToList();
    }

    private static bool AdmitsWorld(CidrCondition cidr, IpNetwork world) => cidr.Match switch
    {
        RangeMatch.Within => cidr.Networks.Any(n => world.IsWithin(n)),
        RangeMatch.Contains => cidr.Networks.Any(n => n.Family == world.Family),
        RangeMatch.Equals => cidr.Networks.Any(n => n.SameAs(world)),
        _ => true,
    };

    private static bool AdmitsPort(PortCondition? ports, int port)
    {
        if (ports is null)
        {
            return true;
        }
        var inAny = ports.Ranges.Any(r => r.From <= port && port <= r.To);
        return ports.Match switch
        {
            RangeMatch.Within or RangeMatch.Equals or RangeMatch.Overlaps => inAny,
            RangeMatch.Contains => true, // a request for every port holds any listed range, and opens this one
            RangeMatch.Outside => !inAny,
            _ => true,
        };
    }
}
