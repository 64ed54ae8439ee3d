using System.Security.Cryptography;
using System.Text;

namespace SgBridge.Shared.Domain;

/// <summary>
/// Request ids derived from the CloudTrail event id, so a redelivered event maps to the same request: "SG-" + 8
/// Crockford base32 characters of SHA-256(eventId) (no I, L, O, U); a longer id on the rare clash.
/// </summary>
public static class RequestId
{
    public const int DefaultLength = 8;
    public const int MaxLength = 20;
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string For(string eventId, int length = DefaultLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxLength);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventId), hash);
        var chars = new char[length];
        int bitBuffer = 0, bits = 0, byteIndex = 0;
        for (var i = 0; i < length; i++)
        {
            if (bits < 5)
            {
                bitBuffer = (bitBuffer << 8) | hash[byteIndex++];
                bits += 8;
            }
            chars[i] = Alphabet[(bitBuffer >> (bits - 5)) & 31];
            bits -= 5;
        }
        return "SG-" + new string(chars);
    }

    /// <summary>True for a string of the shape this class produces (used to validate ids from Slack buttons).</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: >= 7 and <= 3 + MaxLength }
        && id.StartsWith("SG-", StringComparison.Ordinal)
        && id.AsSpan(3).IndexOfAnyExcept(Alphabet) < 0;
}
