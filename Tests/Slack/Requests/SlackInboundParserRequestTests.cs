using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Tests.Slack.Requests;

public class SlackInboundParserRequestTests
{
    [Fact]
    public void ParseCommand_ReadsTheFieldsSlackSends()
    {
        var parsed = SlackInboundParser.ParseCommand(Encoding.UTF8.GetBytes(RequestPayloads.Command("help", trigger: "9.8.7")));
        var c = Assert.IsType<SlackCommand>(parsed.Value);
        Assert.Equal(("/sgbridge", "help", "UREQ1", "ureq1", "T0001", "9.8.7", "C2147483705"), (c.Command, c.Text, c.UserId, c.UserName, c.TeamId, c.TriggerId, c.ChannelId));
        Assert.StartsWith("https://hooks.slack.com/commands/", c.ResponseUrl, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("command")]
    [InlineData("user_id")]
    [InlineData("team_id")]
    [InlineData("trigger_id")]
    [InlineData("response_url")]
    public void ParseCommand_NamesTheMissingField(string field)
    {
        var parsed = SlackInboundParser.ParseCommand(Encoding.UTF8.GetBytes(RequestPayloads.Command(omit: field)));
        Assert.Null(parsed.Value);
        Assert.Equal($"The slash command has no {field}.", parsed.Error);
    }

    [Fact]
    public void ParseCommand_RefusesADuplicatedField_AndACommandWithoutSlash_AndBadUtf8()
    {
        Assert.Contains("user_id more than once", SlackInboundParser.ParseCommand(Encoding.UTF8.GetBytes(RequestPayloads.Command() + "&user_id=UOTHER")).Error, StringComparison.Ordinal);
        Assert.Contains("does not start with '/'", SlackInboundParser.ParseCommand(Encoding.UTF8.GetBytes(RequestPayloads.Command().Replace("%2Fsgbridge", "sgbridge", StringComparison.Ordinal))).Error, StringComparison.Ordinal);
        Assert.Equal("The body is not valid UTF-8.", SlackInboundParser.ParseCommand(new byte[] { 0x63, 0xFF, 0xFE }).Error);
    }

    [Fact]
    public void ParseInteraction_ReadsShortcutAndSubmission_AndNamesWhatIsWrongWithGarbage()
    {
        Assert.IsType<SlackShortcut>(SlackInboundParser.ParseInteraction(Encoding.UTF8.GetBytes(RequestPayloads.Shortcut())).Value);
        Assert.IsType<SlackViewSubmission>(SlackInboundParser.ParseInteraction(Encoding.UTF8.GetBytes(RequestPayloads.Submission(RequestRig.ValidForm()))).Value);
        Assert.Equal("The payload field is not valid JSON.", SlackInboundParser.ParseInteraction("payload=%7Bnot-json"u8).Error);
        Assert.Equal("The body has more than one payload field.", SlackInboundParser.ParseInteraction("payload=1&payload=2"u8).Error);
        Assert.Equal("The payload is not a JSON object.", SlackInboundParser.ParseInteraction("payload=%5B%5D"u8).Error);
    }

    [Theory]
    [InlineData("callback_id", "The shortcut has no callback_id.")]
    [InlineData("trigger_id", "The shortcut has no trigger_id.")]
    [InlineData("user", "The shortcut has no user.id.")]
    public void ParseShortcut_NamesTheMissingField(string field, string error)
    {
        var payload = Payload(RequestPayloads.Shortcut());
        payload.Remove(field);
        Assert.Equal(error, SlackInboundParser.ParseInteraction(RequestPayloads.Form(payload)).Error);
    }

    [Fact]
    public void ParseViewSubmission_ReadsTextInputsAndSelects()
    {
        var parsed = SlackInboundParser.ParseInteraction(RequestPayloads.Form(RequestPayloads.SubmissionPayload(RequestRig.ValidForm(), viewId: "V9")));
        var s = Assert.IsType<SlackViewSubmission>(parsed.Value);
        Assert.Equal(("V9", RequestBlocks.RequestCallback, "UREQ1", "T0001"), (s.ViewId, s.CallbackId, s.UserId, s.TeamId));
        Assert.Equal("8h", s.Values[RequestBlocks.Duration]);      // a select's selected_option.value
        Assert.Equal("10.0.0.0/8", s.Values[RequestBlocks.Source]); // a text input's value
    }

    [Fact]
    public void ParseViewSubmission_AnEmptySelectIsNull()
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Duration] = null;
        var parsed = SlackInboundParser.ParseInteraction(RequestPayloads.Form(RequestPayloads.SubmissionPayload(form)));
        Assert.Null(Assert.IsType<SlackViewSubmission>(parsed.Value).Values[RequestBlocks.Duration]);
    }

    [Theory]
    [InlineData("user", "The view_submission has no user.id.")]
    [InlineData("view", "The view_submission has no view.")]
    [InlineData("view.id", "The view_submission has no view.id.")]
    [InlineData("view.callback_id", "The view_submission has no view.callback_id.")]
    [InlineData("view.state", "The view_submission has no view.state.values.")]
    public void ParseViewSubmission_NamesTheMissingField(string path, string error)
    {
        var payload = RequestPayloads.SubmissionPayload(RequestRig.ValidForm());
        var parts = path.Split('.');
        (parts.Length == 1 ? payload : payload[parts[0]]!.AsObject()).Remove(parts[^1]);
        Assert.Equal(error, SlackInboundParser.ParseInteraction(RequestPayloads.Form(payload)).Error);
    }

    private static JsonObject Payload(string form) => JsonNode.Parse(Uri.UnescapeDataString(form["payload=".Length..]))!.AsObject();
}
