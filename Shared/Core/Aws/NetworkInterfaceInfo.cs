namespace SgBridge.Shared.Aws;

/// <summary>
/// One network interface a security group is attached to, as DescribeNetworkInterfaces reports it (services name
/// themselves in the description: <c>ELB app/…</c>, <c>RDSNetworkInterface</c>).
/// </summary>
public sealed record NetworkInterfaceInfo(
    string Id,
    string? InterfaceType,
    bool RequesterManaged,
    string? Description,
    string? InstanceId,
    string? PublicIp)
{
    /// <summary>Who owns the public IP: <c>amazon</c>, <c>amazon-elb</c> or an account id (an Elastic IP).</summary>
    public string? PublicIpOwner { get; init; }

    /// <summary>IPv6 addresses: globally unique, so reachable from the internet when the subnet routes <c>::/0</c> to a gateway.</summary>
    public IReadOnlyList<string> Ipv6Addresses { get; init; } = [];

    /// <summary>The service that created a requester-managed interface (<c>RequesterId</c>), e.g. <c>amazon-elb</c>.</summary>
    public string? RequesterId { get; init; }
}
