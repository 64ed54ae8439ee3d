using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Slack;

public class SlackRequestVerifierTests
{
    // The worked example in Slack's "Verifying requests from Slack" documentation.
    private const string DocSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string DocTimestamp = "1531420618";
    private const string DocSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private const string DocBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    private static readonly DateTimeOffset DocTime = DateTimeOffset.FromUnixTimeSeconds(1531420618);
    private static byte[] DocBodyBytes => Encoding.UTF8.GetBytes(DocBody);

    private static SlackRequestVerifier CreateVerifier(DateTimeOffset now, string secret = DocSecret)
    {
        var options = SlackTestOptions.Create(o => o.SigningSecret = secret);
        return new SlackRequestVerifier(SlackTestOptions.Wrap(options), new FakeTimeProvider(now));
    }

    private static string Sign(string secret, string timestamp, byte[] body)
    {
        var message = Encoding.UTF8.GetBytes($"v0:{timestamp}:").Concat(body).ToArray();
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    [Fact]
    public void Verify_SlackDocumentationExample_ReturnsValid()
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.Valid, result);
        Assert.Equal(SlackSignatureStatus.Valid, result);
    }

    [Fact]
    public void Verify_UppercaseHexSignature_ReturnsValid()
    {
        var upper = "v0=" + DocSignature[3..].ToUpperInvariant();

        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, DocTimestamp, upper);

        Assert.Equal(SlackSignatureStatus.Valid, result);
    }

    [Fact]
    public void Verify_WrongSecret_ReturnsSignatureMismatch()
    {
        var result = CreateVerifier(DocTime, secret: "8f742231b10e8888abcd99yyyzzz85a6").Verify(DocBodyBytes, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.SignatureMismatch, result);
        Assert.NotEqual(SlackSignatureStatus.Valid, result);
    }

    [Fact]
    public void Verify_BodyTamperedByOneByte_ReturnsSignatureMismatch()
    {
        var body = DocBodyBytes;
        body[^1] ^= 0x01;

        var result = CreateVerifier(DocTime).Verify(body, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.SignatureMismatch, result);
    }

    [Fact]
    public void Verify_TimestampChangedButSignatureKept_ReturnsSignatureMismatch()
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, "1531420619", DocSignature);

        Assert.Equal(SlackSignatureStatus.SignatureMismatch, result);
    }

    [Fact]
    public void Verify_TimestampOlderThanFiveMinutes_ReturnsStaleTimestamp()
    {
        var now = DocTime.AddMinutes(5).AddSeconds(1);

        var result = CreateVerifier(now).Verify(DocBodyBytes, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.StaleTimestamp, result);
    }

    [Fact]
    public void Verify_TimestampMoreThanFiveMinutesAhead_ReturnsStaleTimestamp()
    {
        var now = DocTime.AddMinutes(-5).AddSeconds(-1);

        var result = CreateVerifier(now).Verify(DocBodyBytes, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.StaleTimestamp, result);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Verify_TimestampExactlyFiveMinutesAway_ReturnsValid(int offsetSeconds)
    {
        var result = CreateVerifier(DocTime.AddSeconds(offsetSeconds)).Verify(DocBodyBytes, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.Valid, result);
    }

    [Fact]
    public void Verify_ReplayOfValidRequestAfterWindow_ReturnsStaleTimestamp()
    {
        var time = new FakeTimeProvider(DocTime);
        var verifier = new SlackRequestVerifier(SlackTestOptions.Wrap(SlackTestOptions.Create()), time);
        Assert.Equal(SlackSignatureStatus.Valid, verifier.Verify(DocBodyBytes, DocTimestamp, DocSignature));

        time.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(SlackSignatureStatus.StaleTimestamp, verifier.Verify(DocBodyBytes, DocTimestamp, DocSignature));
    }

    [Fact]
    public void Verify_FreshlySignedRequestAtCurrentTime_ReturnsValid()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("payload=%7B%22type%22%3A%22block_actions%22%7D");

        var result = CreateVerifier(now).Verify(body, timestamp, Sign(DocSecret, timestamp, body));

        Assert.Equal(SlackSignatureStatus.Valid, result);
    }

    [Fact]
    public void Verify_SignatureFromAnotherSecret_ReturnsSignatureMismatch()
    {
        var forged = Sign("attacker-secret", DocTimestamp, DocBodyBytes);

        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, DocTimestamp, forged);

        Assert.Equal(SlackSignatureStatus.SignatureMismatch, result);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Verify_MissingSignatureHeader_ReturnsMissingSignature(string? signature)
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, DocTimestamp, signature);

        Assert.Equal(SlackSignatureStatus.MissingSignature, result);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Verify_MissingTimestampHeader_ReturnsMissingTimestamp(string? timestamp)
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, timestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.MissingTimestamp, result);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1531420618.5")]
    [InlineData("-1531420618")]
    [InlineData("+1531420618")]
    [InlineData(" 1531420618")]
    [InlineData("99999999999999999999999")]
    public void Verify_NonIntegerTimestamp_ReturnsMalformedTimestamp(string timestamp)
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, timestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.MalformedTimestamp, result);
    }

    [Theory]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")] // no v0= prefix
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")] // other version
    [InlineData("V0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")] // prefix case
    [InlineData("v0=z2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")] // non-hex
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5")] // too short
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50300")] // too long
    [InlineData("v0=")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50 ")] // trailing space
    public void Verify_MalformedSignature_ReturnsMalformedSignature(string signature)
    {
        var result = CreateVerifier(DocTime).Verify(DocBodyBytes, DocTimestamp, signature);

        Assert.Equal(SlackSignatureStatus.MalformedSignature, result);
    }

    [Fact]
    public void Verify_EmptyBodyWithSignatureOfNonEmptyBody_ReturnsSignatureMismatch()
    {
        var result = CreateVerifier(DocTime).Verify(ReadOnlySpan<byte>.Empty, DocTimestamp, DocSignature);

        Assert.Equal(SlackSignatureStatus.SignatureMismatch, result);
    }
}
