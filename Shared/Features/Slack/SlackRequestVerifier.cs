using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Checks X-Slack-Signature: <c>v0=</c> + hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")),
/// with the timestamp no further than the configured tolerance (at most 5 minutes) from now, either way.
/// Never throws on bad input.
/// </summary>
public sealed class SlackRequestVerifier(IOptions<SlackOptions> options, TimeProvider time)
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    private const string VersionPrefix = "v0=";
    private const int SignatureHexLength = HMACSHA256.HashSizeInBytes * 2;

    public SlackSignatureStatus Verify(ReadOnlySpan<byte> rawBody, string? timestampHeader, string? signatureHeader)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return SlackSignatureStatus.MissingSignature;
        }

        if (string.IsNullOrWhiteSpace(timestampHeader))
        {
            return SlackSignatureStatus.MissingTimestamp;
        }

        if (!long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            return SlackSignatureStatus.MalformedTimestamp;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!TryDecodeSignature(signatureHeader, expected))
        {
            return SlackSignatureStatus.MalformedSignature;
        }

        var o = options.Value;
        var tolerance = (long)Math.Min(o.RequestTimestampTolerance.TotalSeconds, SlackOptions.MaxRequestTimestampTolerance.TotalSeconds);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (timestamp < now - tolerance || timestamp > now + tolerance)
        {
            return SlackSignatureStatus.StaleTimestamp;
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(o.SigningSecret), [.. Encoding.ASCII.GetBytes($"v0:{timestampHeader}:"), .. rawBody], actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected)
            ? SlackSignatureStatus.Valid
            : SlackSignatureStatus.SignatureMismatch;
    }

    private static bool TryDecodeSignature(string header, Span<byte> destination)
    {
        if (header.Length != VersionPrefix.Length + SignatureHexLength
            || !header.StartsWith(VersionPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var status = Convert.FromHexString(header.AsSpan(VersionPrefix.Length), destination, out _, out var written);
        return status == System.Buffers.OperationStatus.Done && written == destination.Length;
    }
}

public enum SlackSignatureStatus
{
    Valid,
    MissingSignature,
    MissingTimestamp,
    MalformedTimestamp,
    StaleTimestamp,
    MalformedSignature,
    SignatureMismatch,
}
