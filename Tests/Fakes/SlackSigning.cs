using System.Globalization;
using System.Security.Cryptography;
using System.Text;

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
}
