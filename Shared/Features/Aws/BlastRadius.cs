using System.Net;
using System.Net.Sockets;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

public enum ProtectedKind
{
    Instance,
    LoadBalancer,
    Database,
    Cache,
    Lambda,
    Container,
    NatGateway,
    VpcEndpoint,
    FileSystem,
    OtherService,
    Unattached,
}

/// <summary>One thing behind the group: an instance, a load balancer, a database… with its public address if it has one.</summary>
public sealed record ProtectedResource(ProtectedKind Kind, string Name, string? PublicIp, bool HasIpv6)
{
    /// <summary>Reachable from the internet over IPv4: it has a public IP (an internet-facing load balancer's interfaces have one too).</summary>
    public bool PublicIpv4 => PublicIp is not null;
}

/// <summary>What a security group protects, from its network interfaces (by <c>InterfaceType</c>, then the attached instance,
/// then the description AWS services give interfaces), or why that could not be read.</summary>
public sealed record BlastRadius(string GroupId, IReadOnlyList<NetworkInterfaceInfo> Interfaces, string? Unavailable = null)
{
    public static BlastRadius Failed(string groupId, string reason) => new(groupId, [], reason);

    public bool IsAvailable => Unavailable is null;

    /// <summary>One entry per resource: an instance or load balancer with several interfaces counts once.</summary>
    public IReadOnlyList<ProtectedResource> Resources { get; } = Interfaces
        .Select(Classify)
        .GroupBy(r => (r.Kind, r.Name))
        .Select(g => new ProtectedResource(g.Key.Kind, g.Key.Name, g.Select(r => r.PublicIp).FirstOrDefault(ip => ip is not null), g.Any(r => r.HasIpv6)))
        .OrderBy(r => r.Kind).ThenBy(r => r.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Resources reachable from the internet over IPv4 (public IP) or IPv6 (global address).</summary>
    public IReadOnlyList<ProtectedResource> InternetReachable(bool ipv6) => Resources.Where(r => ipv6 ? r.HasIpv6 : r.PublicIpv4).ToArray();

    /// <summary>Rules the request would grant that are <see cref="IsWidePublic"/>, with the internet-reachable resources they expose.</summary>
    public IReadOnlyList<(SecurityGroupRule Rule, IReadOnlyList<ProtectedResource> Exposed)> Exposure(ChangeRequest request)
    {
        if (!IsAvailable)
        {
            return [];
        }
        var granted = request.Kind switch
        {
            ChangeKind.Add => request.Rules,
            ChangeKind.Modify => request.Edits.Select(e => e.After).ToList(),
            _ => [],
        };
        return granted
            .Where(r => !r.Egress && IsWidePublic(r.Source))
            .Select(r => (r, InternetReachable(r.Source.Kind == SourceKind.Ipv6Cidr)))
            .Where(x => x.Item2.Count > 0)
            .ToArray();
    }

    /// <summary>True for the internet (<c>0.0.0.0/0</c>, <c>::/0</c>) and for wide public ranges (IPv4 /8 or wider, IPv6 /16 or wider) that are not private.</summary>
    public static bool IsWidePublic(RuleSource source)
    {
        if (RiskAssessor.IsInternet(source))
        {
            return true;
        }
        if (source.Kind is not (SourceKind.Ipv4Cidr or SourceKind.Ipv6Cidr) || source.Value.Split('/') is not [var address, var length]
            || !IPAddress.TryParse(address, out var ip) || !int.TryParse(length, out var prefix))
        {
            return false;
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var first = ip.GetAddressBytes()[0];
            var second = ip.GetAddressBytes()[1];
            var isPrivate = first == 10 || (first == 172 && second is >= 16 and <= 31) || (first == 192 && second == 168) || first == 127
                || (first == 100 && second is >= 64 and <= 127);
            return prefix <= 8 && !isPrivate;
        }
        var high = ip.GetAddressBytes()[0];
        var ipv6Private = (high & 0xFE) == 0xFC || (high == 0xFE && (ip.GetAddressBytes()[1] & 0xC0) == 0x80);
        return prefix <= 16 && !ipv6Private;
    }

    private static ProtectedResource Classify(NetworkInterfaceInfo n)
    {
        var description = n.Description ?? "";
        var (kind, name) = n.InterfaceType switch
        {
            "network_load_balancer" or "gateway_load_balancer" => (ProtectedKind.LoadBalancer, LoadBalancerName(description) ?? n.Id),
            "gateway_load_balancer_endpoint" or "vpc_endpoint" => (ProtectedKind.VpcEndpoint, Trailing(description, "vpce-") ?? n.Id),
            "nat_gateway" => (ProtectedKind.NatGateway, Trailing(description, "nat-") ?? n.Id),
            "lambda" => (ProtectedKind.Lambda, description.Length > 0 ? description : n.Id),
            "efs" => (ProtectedKind.FileSystem, Trailing(description, "fs-") ?? n.Id),
            _ => ByDescription(n, description),
        };
        return new ProtectedResource(kind, name, n.PublicIp, n.Ipv6Addresses.Count > 0);
    }

    private static (ProtectedKind, string) ByDescription(NetworkInterfaceInfo n, string description)
    {
        bool Starts(string prefix) => description.StartsWith(prefix, StringComparison.Ordinal);
        return description switch
        {
            _ when LoadBalancerName(description) is { } lb => (ProtectedKind.LoadBalancer, lb),
            _ when Starts("RDSNetworkInterface") => (ProtectedKind.Database, "RDS (" + n.Id + ")"),
            _ when Starts("ElastiCache") => (ProtectedKind.Cache, description),
            _ when Starts("AWS Lambda VPC ENI") => (ProtectedKind.Lambda, description),
            _ when Starts("arn:aws") && description.Contains(":ecs:", StringComparison.Ordinal) =>
                (ProtectedKind.Container, "ECS task (" + n.Id + ")"),
            _ when Starts("Amazon EKS") => (ProtectedKind.Container, description),
            _ when Starts("Interface for NAT Gateway") => (ProtectedKind.NatGateway, Trailing(description, "nat-") ?? n.Id),
            _ when Starts("VPC Endpoint Interface") => (ProtectedKind.VpcEndpoint, Trailing(description, "vpce-") ?? n.Id),
            _ when Starts("EFS mount target") => (ProtectedKind.FileSystem, Trailing(description, "fs-") ?? n.Id),
            _ when n.InstanceId is { } instance && !n.RequesterManaged => (ProtectedKind.Instance, instance),
            _ when n.RequesterManaged || description.Length > 0 =>
                (ProtectedKind.OtherService, description.Length > 0 ? description : $"{n.RequesterId ?? "AWS service"} ({n.Id})"),
            _ => (ProtectedKind.Unattached, n.Id),
        };
    }

    /// <summary>"ELB app/my-alb/50dc6c495c0c9188" → "app/my-alb", "ELB my-classic" → "my-classic".</summary>
    private static string? LoadBalancerName(string description)
    {
        if (!description.StartsWith("ELB ", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = description[4..].Trim();
        var parts = rest.Split('/');
        return parts.Length >= 2 ? parts[0] + "/" + parts[1] : rest;
    }

    private static string? Trailing(string description, string prefix)
    {
        var at = description.IndexOf(prefix, StringComparison.Ordinal);
        return at < 0 ? null : description[at..].Split(' ')[0];
    }
}
