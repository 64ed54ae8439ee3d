using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Binds a modal's submission to a view the bridge opened for that user: <c>private_metadata</c> is sealed as
/// <c>v1.&lt;payload&gt;.&lt;mac&gt;</c> (user, callback id, expiry, data; HMAC-SHA256). The Slack signature proves Slack
/// sent the request; the seal proves the bridge opened that view for that person.
/// </summary>
public sealed class ModalSeal(IOptions<SlackOptions> options, TimeProvider time)
{
    private const string Version = "v1";

    /// <summary>The derivation label of the key made from the signing secret (a key of its own, never the signing secret itself).</summary>
    private static readonly byte[] DerivationLabel = Encoding.UTF8.GetBytes("sgbridge/modal-private-metadata/v1");

    private readonly byte[] _key = KeyOf(options.Value);

    /// <summary>The sealed private_metadata of a view opened now for <paramref name="userId"/>, carrying <paramref name="data"/>.</summary>
    public string Seal(string callbackId, string userId, string? data)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callbackId);
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var expires = time.GetUtcNow().Add(options.Value.ModalLifetime).ToUnixTimeSeconds();
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(userId, callbackId, expires, data ?? ""), PayloadJson.Default.Payload);
        var sealedText = Version + "." + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Mac(payload));
        if (sealedText.Length > SlackLimits.PrivateMetadata)
        {
            throw new ArgumentException($"The sealed private_metadata would have {sealedText.Length} characters (Slack allows {SlackLimits.PrivateMetadata}).", nameof(data));
        }
        return sealedText;
    }

    /// <summary>The sealed data when this bridge sealed it for that user and modal and it has not expired; else why not (safe to log).</summary>
    public ModalSealCheck Open(string? metadata, string callbackId, string userId)
    {
        if (string.IsNullOrEmpty(metadata))
        {
            return ModalSealCheck.Refused("no sealed private_metadata (not a view SgBridge opened)");
        }
        var parts = metadata.Split('.');
        if (parts.Length != 3 || parts[0] != Version || !Base64Url.IsValid(parts[1]) || !Base64Url.IsValid(parts[2]))
        {
            return ModalSealCheck.Refused("private_metadata is not sealed by SgBridge");
        }
        var payload = Base64Url.DecodeFromChars(parts[1]);
        if (!CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(parts[2]), Mac(payload)))
        {
            return ModalSealCheck.Refused("private_metadata's seal does not match (tampered, or sealed with another key)");
        }
        Payload? read;
        try
        {
            read = JsonSerializer.Deserialize(payload, PayloadJson.Default.Payload);
        }
        catch (JsonException)
        {
            return ModalSealCheck.Refused("private_metadata's sealed payload is unreadable");
        }
        if (read is null || read.User != userId)
        {
            return ModalSealCheck.Refused("the view was opened for another user");
        }
        if (read.Callback != callbackId)
        {
            return ModalSealCheck.Refused("the view was opened as another modal");
        }
        if (time.GetUtcNow().ToUnixTimeSeconds() > read.Expires)
        {
            return ModalSealCheck.Refused("the view has expired");
        }
        return new ModalSealCheck(read.Data, null);
    }

    private byte[] Mac(byte[] payload) => HMACSHA256.HashData(_key, payload);

    private static byte[] KeyOf(SlackOptions o) => string.IsNullOrEmpty(o.ModalSigningKey)
        ? HMACSHA256.HashData(Encoding.UTF8.GetBytes(o.SigningSecret), DerivationLabel)
        : Encoding.UTF8.GetBytes(o.ModalSigningKey);

    internal sealed record Payload(
        [property: System.Text.Json.Serialization.JsonPropertyName("u")] string User,
        [property: System.Text.Json.Serialization.JsonPropertyName("c")] string Callback,
        [property: System.Text.Json.Serialization.JsonPropertyName("e")] long Expires,
        [property: System.Text.Json.Serialization.JsonPropertyName("d")] string Data);
}

/// <summary>What <see cref="ModalSeal.Open"/> found: the sealed data, or why the submission is refused.</summary>
public sealed record ModalSealCheck(string? Data, string? Refusal)
{
    public bool IsValid => Refusal is null;

    public static ModalSealCheck Refused(string why) => new(null, why);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ModalSeal.Payload))]
internal sealed partial class PayloadJson : System.Text.Json.Serialization.JsonSerializerContext;
