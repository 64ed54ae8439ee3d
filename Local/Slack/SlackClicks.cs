using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SgBridge.Local.Slack;

/// <summary>A click on the page: which message, which element, who clicked (and, for a select, the option chosen).</summary>
public sealed record PageClick(string Channel, string Ts, string ActionId, string? BlockId, string? Value, string User, string? SelectedValue = null, string? SelectedText = null);

/// <summary>What the bridge answered the signed request with.</summary>
public sealed record ClickAnswer(int Status, string Body);

/// <summary>
/// Turns a click on the page into the request Slack sends for it: a <c>block_actions</c> payload (user, team,
/// container, channel, the message as it stands, response_url, trigger_id, the action with its block id and value —
/// or <c>selected_option</c> for a select) form-encoded in one <c>payload</c> field, signed with the signing secret
/// (<c>v0=HMAC-SHA256("v0:" + timestamp + ":" + body)</c>), POSTed over HTTP to the bridge's interactions route.
/// </summary>
public sealed class SlackClicks(HttpClient http, Uri interactionsUrl, string signingSecret, SlackWorkspace workspace, TimeProvider time)
{
    public const string TeamId = "TLOCAL0001";

    public async Task<ClickAnswer> SendAsync(PageClick click, CancellationToken cancellationToken)
    {
        var body = "payload=" + Uri.EscapeDataString(Payload(click).ToJsonString());
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, interactionsUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Slack-Signature", Sign(signingSecret, timestamp, body));
        request.Headers.UserAgent.ParseAdd("Slackbot 1.0 (+https://api.slack.com/robots)");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return new ClickAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public static string Sign(string secret, long timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp.ToString(CultureInfo.InvariantCulture)}:{body}"));
        return "v0=" + Convert.ToHexStringLower(mac);
    }

    public JsonObject Payload(PageClick click)
    {
        var message = workspace.Find(click.Channel, click.Ts);
        var action = new JsonObject
        {
            ["action_id"] = click.ActionId,
            ["block_id"] = click.BlockId,
            ["action_ts"] = (time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0).ToString("F6", CultureInfo.InvariantCulture),
        };
        if (click.SelectedValue is not null)
        {
            action["type"] = "static_select";
            action["selected_option"] = new JsonObject
            {
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = click.SelectedText ?? click.SelectedValue },
                ["value"] = click.SelectedValue,
            };
        }
        else
        {
            action["type"] = "button";
            action["value"] = click.Value;
        }
        return new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = click.User, ["username"] = click.User.ToLowerInvariant(), ["name"] = click.User.ToLowerInvariant(), ["team_id"] = TeamId },
            ["api_app_id"] = "ALOCAL0001",
            ["token"] = "deprecated-verification-token",
            ["trigger_id"] = $"{time.GetUtcNow().ToUnixTimeMilliseconds()}.local.{Guid.NewGuid():N}",
            ["team"] = new JsonObject { ["id"] = TeamId, ["domain"] = "local" },
            ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = click.Ts, ["channel_id"] = click.Channel, ["is_ephemeral"] = false },
            ["channel"] = new JsonObject { ["id"] = click.Channel, ["name"] = click.Channel.ToLowerInvariant() },
            ["message"] = new JsonObject
            {
                ["type"] = "message",
                ["ts"] = click.Ts,
                ["text"] = message?.Text,
                ["blocks"] = message?.Blocks?.DeepClone(),
            },
            ["response_url"] = $"https://hooks.slack.com/actions/{TeamId}/local/{Guid.NewGuid():N}",
            ["actions"] = new JsonArray(action),
        };
    }
}
