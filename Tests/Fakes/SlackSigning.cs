using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Fakes;

/// <summary>Signs bodies the way Slack does, and builds block_actions form bodies.</summary>
public static class SlackSigning
{
    public const string Secret = "test-signing-secret-0123456789abcdef";

    public static string Sign(string body, long timestamp, string secret = Secret)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp.ToString(CultureInfo.InvariantCulture)}:{body}"));
        return "v0=" + Convert.ToHexStringLower(mac);
    }

    public static string ClickBody(string actionId, string requestId, string userId, string channel = "CAPPROVERS", string ts = "1001.000100", string? team = "\"T0001\"")
    {
        var teamJson = team is null ? "null" : $"{{\"id\":{team},\"domain\":\"acme\"}}";
        var payload = $$"""
            {"type":"block_actions","user":{"id":"{{userId}}","username":"{{userId.ToLowerInvariant()}}","name":"{{userId.ToLowerInvariant()}}","team_id":"T0001"},
             "api_app_id":"A0001","token":"legacy","trigger_id":"1.2.3","team":{{teamJson}},
             "container":{"type":"message","message_ts":"{{ts}}","channel_id":"{{channel}}","is_ephemeral":false},
             "channel":{"id":"{{channel}}","name":"sg-approvals"},"message":{"type":"message","ts":"{{ts}}","text":"x"},
             "response_url":"https://hooks.slack.com/actions/T0001/1/abc",
             "actions":[{"action_id":"{{actionId}}","block_id":"sgbridge_decision","value":"{{requestId}}","type":"button","action_ts":"1700000000.1"}]}
            """;
        return "payload=" + Uri.EscapeDataString(payload);
    }

    /// <summary>
    /// The block_actions form body Slack sends for <paramref name="click"/>: from a message (channel, message, response_url)
    /// or, with <see cref="SlackInteraction.HomeViewId"/>, from the clicker's Home tab (the view as container).
    /// </summary>
    public static string Body(SlackInteraction click)
    {
        ArgumentNullException.ThrowIfNull(click);
        var action = new JsonObject { ["action_id"] = click.ActionId, ["block_id"] = "sgbridge_decision", ["value"] = click.Value, ["type"] = "button", ["action_ts"] = "1700000000.1" };
        if (click.SelectedValue is not null)
        {
            action["type"] = "static_select";
            action["selected_option"] = new JsonObject { ["value"] = click.SelectedValue };
        }
        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = click.UserId, ["username"] = click.UserName ?? click.UserId.ToLowerInvariant(), ["team_id"] = "T0001" },
            ["api_app_id"] = "A0001", ["token"] = "legacy", ["trigger_id"] = click.TriggerId,
            ["team"] = click.TeamId is null ? null : new JsonObject { ["id"] = click.TeamId },
            ["actions"] = new JsonArray(action),
        };
        if (click.HomeViewId is { } view)
        {
            payload["container"] = new JsonObject { ["type"] = "view", ["view_id"] = view };
            payload["view"] = new JsonObject { ["id"] = view, ["type"] = "home" };
        }
        else
        {
            payload["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = click.MessageTs, ["channel_id"] = click.ChannelId };
            payload["channel"] = new JsonObject { ["id"] = click.ChannelId };
            payload["message"] = new JsonObject { ["type"] = "message", ["ts"] = click.MessageTs, ["text"] = "x" };
            payload["response_url"] = "https://hooks.slack.com/actions/T0001/1/x";
        }
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }
}
