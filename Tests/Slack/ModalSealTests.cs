using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>The seal on the private_metadata of the modals the bridge opens: bound to user, modal and expiry; any change to it is caught.</summary>
public class ModalSealTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 5, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly SlackOptions _options = new() { SigningSecret = SlackSigning.Secret };

    private ModalSeal Seal() => new(O.Create(_options), _time);

    [Fact]
    public void Open_TheBridgesOwnSeal_ForThatUserAndModal_GivesTheData()
    {
        var sealedText = Seal().Seal("sgbridge_reason", "UALICE", "SG-ABCDEFGH");

        var check = Seal().Open(sealedText, "sgbridge_reason", "UALICE");

        Assert.Equal(("SG-ABCDEFGH", null), (check.Data, check.Refusal));
    }

    [Theory]
    [InlineData(null, "no sealed private_metadata")]
    [InlineData("", "no sealed private_metadata")]
    [InlineData("SG-ABCDEFGH", "not sealed by SgBridge")]
    [InlineData("v1.!!!.???", "not sealed by SgBridge")]
    [InlineData("v2.e30.AAAA", "not sealed by SgBridge")]
    [InlineData("v1.e30.AAAA", "does not match")]
    public void Open_MetadataTheBridgeDidNotSeal_IsRefused(string? metadata, string why)
    {
        var check = Seal().Open(metadata, "sgbridge_request", "UALICE");

        Assert.False(check.IsValid);
        Assert.Contains(why, check.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_AnotherUser_AnotherModal_OrExpired_IsRefused()
    {
        var sealedText = Seal().Seal("sgbridge_request", "UALICE", null);

        Assert.Contains("another user", Seal().Open(sealedText, "sgbridge_request", "UMALLORY").Refusal, StringComparison.Ordinal);
        Assert.Contains("another modal", Seal().Open(sealedText, "sgbridge_reason", "UALICE").Refusal, StringComparison.Ordinal);
        _time.Advance(_options.ModalLifetime);
        Assert.True(Seal().Open(sealedText, "sgbridge_request", "UALICE").IsValid); // valid up to its expiry
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("expired", Seal().Open(sealedText, "sgbridge_request", "UALICE").Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_AnyFlippedCharacter_IsRefused()
    {
        var sealedText = Seal().Seal("sgbridge_reason", "UALICE", "SG-ABCDEFGH");
        for (var i = 0; i < sealedText.Length; i++)
        {
            var flipped = sealedText[..i] + (sealedText[i] == 'A' ? 'B' : 'A') + sealedText[(i + 1)..];
            Assert.False(Seal().Open(flipped, "sgbridge_reason", "UALICE").IsValid, $"flipped at {i}");
        }
    }

    [Fact]
    public void Seal_WithAModalSigningKey_IsNotTheOneDerivedFromTheSigningSecret()
    {
        var derived = Seal().Seal("sgbridge_request", "UALICE", null);
        var keyedOptions = new SlackOptions { SigningSecret = SlackSigning.Secret, ModalSigningKey = new string('k', 32) };
        var keyed = new ModalSeal(O.Create(keyedOptions), _time);

        Assert.False(keyed.Open(derived, "sgbridge_request", "UALICE").IsValid);
        Assert.True(keyed.Open(keyed.Seal("sgbridge_request", "UALICE", null), "sgbridge_request", "UALICE").IsValid);
    }

    [Fact]
    public void Seal_ALongRequestIdAndUser_FitsSlacksPrivateMetadataLimit()
    {
        var sealedText = Seal().Seal("sgbridge_reason", "W" + new string('9', 20), "SG-" + new string('Z', 40));

        Assert.InRange(sealedText.Length, 1, SlackLimits.PrivateMetadata);
    }

    [Theory]
    [InlineData("short", null, "ModalSigningKey must have at least 32 characters")]
    [InlineData(null, "00:00:00", "ModalLifetime must be greater than zero")]
    [InlineData(null, "8.00:00:00", "ModalLifetime must be greater than zero and at most 7 days")]
    public void Validator_NamesTheBadModalSetting(string? key, string? lifetime, string error)
    {
        var options = new SlackOptions
        {
            BotToken = "t", SigningSecret = "s", ApproversChannel = "C1", MonitoringChannel = "C2", ApproverUserIds = "U1",
            ModalSigningKey = key, ModalLifetime = lifetime is null ? TimeSpan.FromHours(12) : TimeSpan.Parse(lifetime, System.Globalization.CultureInfo.InvariantCulture),
        };

        var result = new SlackOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.Contains(error, StringComparison.Ordinal));
    }
}
