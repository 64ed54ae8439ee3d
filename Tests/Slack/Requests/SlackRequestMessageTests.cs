using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Storage;

namespace SgBridge.Tests.Slack.Requests;

public class SlackRequestMessageTests
{
    [Fact]
    public void ApproverMessage_ShowsWhoAskedForHowLongAndWhy_AndNoRevert()
    {
        var request = SlackRequestStorageTests.Sample("SG-SLACKMSG");
        var message = ApprovalMessageBuilder.ForApprovers([request], "prod", "U1");
        var json = string.Join("\n", Texts(message.Blocks)); // the texts as Slack shows them (ToJsonString escapes < and >)
        Assert.Contains("Asked for in Slack by <@U1> for 8 hour(s)", json, StringComparison.Ordinal);
        Assert.Contains("*Reason:* “CHG-1", json, StringComparison.Ordinal);
        Assert.Contains("Slack request", json, StringComparison.Ordinal);
        Assert.DoesNotContain("reverted", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(ActionIds.Approve, json, StringComparison.Ordinal);
        // Slack refuses empty text objects: every context element has text.
        Assert.All(message.Blocks.Where(b => (string?)b!["type"] == "context").SelectMany(b => b!["elements"]!.AsArray()),
            e => Assert.False(string.IsNullOrEmpty((string?)e!["text"])));
    }

    private static IEnumerable<string> Texts(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key is "text" or "action_id" && p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? [s] : Texts(p.Value)),
        JsonArray a => a.SelectMany(Texts),
        _ => [],
    };

    [Fact]
    public void PendingReply_SaysItWasAskedFor_NotReverted()
    {
        var reply = ApprovalMessageBuilder.OutcomeReply(SlackRequestStorageTests.Sample("SG-SLACKMSG"), RequestStatus.Pending);
        Assert.StartsWith(":inbox_tray: Asked for in Slack by <@U1> for 8 hour(s)", reply, StringComparison.Ordinal);
    }
}
