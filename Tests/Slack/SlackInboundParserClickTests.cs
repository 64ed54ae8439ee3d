using System.Net;
using System.Text;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Slack;

public class SlackInboundParserClickTests
{
    // Shaped after Slack's block_actions payload reference (message container, one button action).
    private const string BlockActionsPayload = """
        {
          "type": "block_actions",
          "user": { "id": "U0CA5", "username": "amy.mcgee", "name": "amy.mcgee", "team_id": "T3MDE" },
          "api_app_id": "A0CA5",
          "token": "Shh_its_a_seekrit",
          "container": { "type": "message", "message_ts": "1548261231.000200", "channel_id": "C0APPROVERS", "is_ephemeral": false },
          "trigger_id": "12466734323.1395872398",
          "team": { "id": "T3MDE", "domain": "ghostbusters" },
          "enterprise": null,
          "is_enterprise_install": false,
          "channel": { "id": "C0APPROVERS", "name": "sg-approvals" },
          "message": { "type": "message", "ts": "1548261231.000200", "text": "Rule reverted", "blocks": [] },
          "response_url": "https://hooks.slack.com/actions/T3MDE/123/abc",
          "actions": [
            {
              "type": "button",
              "action_id": "sgbridge_approve",
              "block_id": "approval-actions",
              "text": { "type": "plain_text", "text": "Approve", "emoji": true },
              "value": "apr-0001",
              "style": "primary",
              "action_ts": "1548426417.840180"
            }
          ]
        }
        """;

    private const string EnterpriseOrgPayload = """
        {
          "type": "block_actions",
          "user": { "id": "W0ORGUSER", "username": "egon", "team_id": "T0WORKSPACE" },
          "team": null,
          "enterprise": { "id": "E0ENTERPRISE", "name": "Ghostbusters Inc" },
          "is_enterprise_install": true,
          "channel": { "id": "C0APPROVERS", "name": "sg-approvals" },
          "message": { "ts": "1700000000.000100" },
          "response_url": "https://hooks.slack.com/actions/E0ENTERPRISE/456/def",
          "trigger_id": "999.888",
          "actions": [ { "type": "button", "action_id": "sgbridge_deny", "block_id": "b1", "value": "apr-0002", "action_ts": "1700000001.000000" } ]
        }
        """;

    private static Parsed Parse(string? body) => new(SlackInboundParser.ParseInteraction(body));

    private static Parsed Parse(byte[] body) => new(SlackInboundParser.ParseInteraction(body));

    /// <summary>The one parser's answer for a click: the interaction, or the error.</summary>
    private sealed record Parsed(SgBridge.Shared.Slack.Requests.SlackParse<SlackInbound> Result)
    {
        [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Interaction))]
        [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
        public bool Success => Interaction is not null;

        public SlackInteraction? Interaction => Result.Value as SlackInteraction;

        public string? Error => Result.Error;
    }

    private static string Form(string payload) => "payload=" + WebUtility.UrlEncode(payload);

    [Fact]
    public void Parse_BlockActionsPayload_ReturnsTypedInteraction()
    {
        var result = Parse(Encoding.UTF8.GetBytes(Form(BlockActionsPayload)));

        Assert.True(result.Success, result.Error);
        Assert.Equal(new SlackInteraction
        {
            UserId = "U0CA5",
            UserName = "amy.mcgee",
            TeamId = "T3MDE",
            ChannelId = "C0APPROVERS",
            MessageTs = "1548261231.000200",
            ActionId = ActionIds.Approve,
            Value = "apr-0001",
            TriggerId = "12466734323.1395872398",
        }, result.Interaction);
    }

    [Fact]
    public void Parse_PayloadEncodedWithPercent20Spaces_ReturnsInteraction()
    {
        var body = "payload=" + Uri.EscapeDataString(BlockActionsPayload);

        var result = Parse(body);

        Assert.True(result.Success, result.Error);
        Assert.Equal("apr-0001", result.Interaction.Value);
    }

    [Fact]
    public void Parse_EnterpriseGridOrgInstallWithNullTeam_ReturnsNullTeamId()
    {
        var result = Parse(Form(EnterpriseOrgPayload));

        Assert.True(result.Success, result.Error);
        Assert.Null(result.Interaction.TeamId);
        Assert.Equal("W0ORGUSER", result.Interaction.UserId);
        Assert.Equal(ActionIds.Deny, result.Interaction.ActionId);
    }

    [Fact]
    public void Parse_OtherFormFieldsAround_FindsPayload()
    {
        var result = Parse("foo=bar&" + Form(BlockActionsPayload) + "&baz=1");

        Assert.True(result.Success, result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("foo=bar")]
    [InlineData("payload=")]
    [InlineData("payload")]
    public void Parse_MissingPayload_ReturnsFailure(string body)
    {
        var result = Parse(body);

        Assert.False(result.Success);
        Assert.NotNull(result.Error);
        Assert.Null(result.Interaction);
    }

    [Fact]
    public void Parse_NullBody_ReturnsFailure()
    {
        Assert.False(Parse((string?)null).Success);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"type\":")]
    [InlineData("{'type':'block_actions'}")]
    public void Parse_NonJsonPayload_ReturnsFailureNamingJson(string payload)
    {
        var result = Parse(Form(payload));

        Assert.False(result.Success);
        Assert.Contains("not valid JSON", result.Error);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"block_actions\"")]
    [InlineData("42")]
    public void Parse_PayloadNotAnObject_ReturnsFailure(string payload)
    {
        var result = Parse(Form(payload));

        Assert.False(result.Success);
        Assert.Contains("not a JSON object", result.Error);
    }

    [Theory]
    [InlineData("view_closed")]
    [InlineData("interactive_message")]
    [InlineData("message_action")]
    public void Parse_WrongType_ReturnsFailureNamingType(string type)
    {
        var payload = BlockActionsPayload.Replace("\"block_actions\"", $"\"{type}\"", StringComparison.Ordinal);

        var result = Parse(Form(payload));

        Assert.False(result.Success);
        Assert.Contains(type, result.Error);
        Assert.Contains("not block_actions", result.Error);
    }

    [Fact]
    public void Parse_NoType_ReturnsFailure()
    {
        var result = Parse(Form("""{"user":{"id":"U1"}}"""));

        Assert.False(result.Success);
        Assert.Contains("no type", result.Error);
    }

    [Theory]
    [InlineData("\"actions\": [", "\"actions\": [], \"x\": [", "no actions")]
    [InlineData("\"action_id\": \"sgbridge_approve\",", "", "no action_id")]
    [InlineData("\"id\": \"U0CA5\"", "\"id\": 5", "no user.id")]
    [InlineData("\"response_url\"", "\"other_url\"", "no response_url")]
    public void Parse_RequiredFieldMissingOrWrongType_ReturnsFailure(string find, string replace, string expectedError)
    {
        var payload = BlockActionsPayload.Replace(find, replace, StringComparison.Ordinal);

        var result = Parse(Form(payload));

        Assert.False(result.Success);
        Assert.Contains(expectedError, result.Error);
    }

    [Fact]
    public void Parse_NoChannelOrContainer_ReturnsFailure()
    {
        var result = Parse(Form("""
            {"type":"block_actions","user":{"id":"U1"},"response_url":"https://x","actions":[{"action_id":"a"}]}
            """));

        Assert.False(result.Success);
        Assert.Contains("channel.id", result.Error);
    }

    [Fact]
    public void Parse_TwoPayloadFields_ReturnsFailure()
    {
        var result = Parse(Form(BlockActionsPayload) + "&" + Form(EnterpriseOrgPayload));

        Assert.False(result.Success);
        Assert.Contains("more than one payload", result.Error);
    }

    [Fact]
    public void Parse_InvalidUtf8Bytes_ReturnsFailure()
    {
        var result = Parse(new byte[] { 0x70, 0x61, 0xFF, 0xFE });

        Assert.False(result.Success);
        Assert.Contains("UTF-8", result.Error);
    }
}
