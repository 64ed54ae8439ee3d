using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SgBridge.Shared.Policy;

/// <summary>An IPv4 or IPv6 network normalised to its network address, for the policy's source conditions. Networks of
/// different families never relate.</summary>
public sealed record IpNetwork(AddressFamily Family, byte[] Network, int PrefixLength)
{
    /// <summary>Parses "10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 (IPv4) or /128 (IPv6). Null when it is not one.</summary>
    public static IpNetwork? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }
        // IPAddress.TryParse accepts "10" or "10.1" as IPv4: a policy wants four parts.
        if (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3)
        {
            return null;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            return null;
        }
        return new IpNetwork(address.AddressFamily, Mask(address.GetAddressBytes(), prefix), prefix);
    }

    /// <summary>True when every address of this network is in <paramref name="other"/> (a network is within itself).</summary>
    public bool IsWithin(IpNetwork other) =>
        Family == other.Family && PrefixLength >= other.PrefixLength && Mask(Network, other.PrefixLength).AsSpan().SequenceEqual(other.Network);

    /// <summary>True when this network holds every address of <paramref name="other"/>.</summary>
    public bool Contains(IpNetwork other) => other.IsWithin(this);

    public bool SameAs(IpNetwork other) => Family == other.Family && PrefixLength == other.PrefixLength && Network.AsSpan().SequenceEqual(other.Network);

    public override string ToString() => $"{new IPAddress(Network)}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    private static byte[] Mask(byte[] address, int prefix)
    {
        var masked = (byte[])address.Clone();
        for (var i = 0; i < masked.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            masked[i] &= (byte)(0xFF << (8 - keep));
        }
        return masked;
    }
}
