using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Local.Slack;

namespace SgBridge.Tests.Local;

/// <summary>The local Slack answers the Web API as Slack does and refuses what Slack would refuse (the bridge's payload validator).</summary>
public sealed class SlackWorkspaceTests
{
    private readonly SlackWorkspace _slack = new(new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), SlackChecks.Default, NullLogger.Instance);

    private static JsonArray Section(string text) =>
        [new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text } }];

    [Fact]
    public void PostMessage_OverSlacksSectionLimit_IsRefusedWithInvalidBlocks_AndTheRefusalIsKept()
    {
        var answer = _slack.Answer("chat.postMessage", new JsonObject { ["channel"] = "CAPPROVERS", ["text"] = "fallback", ["blocks"] = Section(new string('x', 3001)) });

        Assert.False((bool)answer["ok"]!);
        Assert.Equal("invalid_blocks", (string?)answer["error"]);
        Assert.NotEmpty(answer["response_metadata"]!["messages"]!.AsArray());
        Assert.Empty(_slack.Messages);
        var refusal = Assert.Single(_slack.Refusals);
        Assert.Equal(("chat.postMessage", "CAPPROVERS", "invalid_blocks"), (refusal.Method, refusal.Channel, refusal.Error));
        Assert.Contains(refusal.Problems, p => p.Contains("3001", StringComparison.Ordinal) || p.Contains("3000", StringComparison.Ordinal));
    }

    [Fact]
    public void PostThenUpdate_KeepsOneMessage_WithItsVersion_AndThreadRepliesNeedTheirParent()
    {
        var posted = _slack.Answer("chat.postMessage", new JsonObject { ["channel"] = "CAPPROVERS", ["text"] = "first", ["blocks"] = Section("first") });
        var ts = (string)posted["ts"]!;
        var updated = _slack.Answer("chat.update", new JsonObject { ["channel"] = "CAPPROVERS", ["ts"] = ts, ["text"] = "second", ["blocks"] = Section("second") });
        var reply = _slack.Answer("chat.postMessage", new JsonObject { ["channel"] = "CAPPROVERS", ["text"] = "in thread", ["thread_ts"] = ts });
        var orphan = _slack.Answer("chat.postMessage", new JsonObject { ["channel"] = "CAPPROVERS", ["text"] = "lost", ["thread_ts"] = "1.000001" });
        var missing = _slack.Answer("chat.update", new JsonObject { ["channel"] = "CAPPROVERS", ["ts"] = "1.000001", ["text"] = "x" });

        Assert.True((bool)updated["ok"]! && (bool)reply["ok"]!);
        Assert.Equal(("thread_not_found", "message_not_found"), ((string?)orphan["error"], (string?)missing["error"]));
        var message = _slack.Find("CAPPROVERS", ts)!;
        Assert.Equal(("second", 2), (message.Text, message.Version));
        Assert.Equal(ts, _slack.Messages.Single(m => m.Text == "in thread").ThreadTs);
    }

    [Fact]
    public void Directory_AndUnknownMethods_AnswerAsSlack()
    {
        _slack.UsersByEmail["alice@example.com"] = "UALICE";

        Assert.Equal("UALICE", (string?)_slack.Answer("users.lookupByEmail", new JsonObject { ["email"] = "ALICE@example.com" })["user"]!["id"]);
        Assert.Equal("users_not_found", (string?)_slack.Answer("users.lookupByEmail", new JsonObject { ["email"] = "bob@example.com" })["error"]);
        Assert.Equal("unknown_method", (string?)_slack.Answer("chat.scheduleMessage", [])["error"]);
    }

    [Fact]
    public void Clicks_AreSignedAsSlackSigns_TheDocumentedExample()
    {
        // Slack's worked example (api.slack.com, "Verifying requests from Slack").
        const string body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

        Assert.Equal("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", SlackClicks.Sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body));
    }
}
