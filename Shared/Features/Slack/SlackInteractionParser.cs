using System.Net;
using System.Text;
using System.Text.Json;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Parses an interactivity request body (<c>application/x-www-form-urlencoded</c> with one field, <c>payload</c>,
/// holding JSON) of type <c>block_actions</c>. Returns a failure, never throws, on bad input.
/// Verify the signature over the raw bytes before parsing.
/// </summary>
public sealed class SlackInteractionParser
{
    private const string PayloadField = "payload";

    public SlackInteractionParseResult Parse(ReadOnlySpan<byte> formBody)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(formBody);
        }
        catch (DecoderFallbackException)
        {
            return SlackInteractionParseResult.Fail("The body is not valid UTF-8.");
        }

        return Parse(text);
    }

    public SlackInteractionParseResult Parse(string? formBody)
    {
        if (string.IsNullOrWhiteSpace(formBody))
        {
            return SlackInteractionParseResult.Fail("The body is empty.");
        }

        string? payload = null;
        foreach (var pair in formBody.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=');
            var name = WebUtility.UrlDecode(separator < 0 ? pair : pair[..separator]);
            if (name != PayloadField)
            {
                continue;
            }

            if (payload is not null)
            {
                return SlackInteractionParseResult.Fail("The body has more than one payload field.");
            }

            payload = separator < 0 ? "" : WebUtility.UrlDecode(pair[(separator + 1)..]);
        }

        if (string.IsNullOrWhiteSpace(payload))
        {
            return SlackInteractionParseResult.Fail("The body has no payload field.");
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return ParsePayload(document.RootElement);
        }
        catch (JsonException)
        {
            return SlackInteractionParseResult.Fail("The payload field is not valid JSON.");
        }
    }

    private static SlackInteractionParseResult ParsePayload(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return SlackInteractionParseResult.Fail("The payload is not a JSON object.");
        }

        var type = GetString(root, "type");
        if (type != "block_actions")
        {
            return SlackInteractionParseResult.Fail(
                type is null ? "The payload has no type." : $"The payload type '{Truncate(type)}' is not block_actions.");
        }

        var user = GetObject(root, "user");
        var userId = GetString(user, "id");
        if (userId is null)
        {
            return SlackInteractionParseResult.Fail("The payload has no user.id.");
        }

        // A click in the app's Home tab: its container is the view (no channel, message or response_url).
        var homeViewId = HomeViewOf(root, out var viewError);
        if (viewError is not null)
        {
            return SlackInteractionParseResult.Fail(viewError);
        }

        var channelId = GetString(GetObject(root, "channel"), "id")
                        ?? GetString(GetObject(root, "container"), "channel_id")
                        ?? (homeViewId is null ? null : "");
        if (channelId is null)
        {
            return SlackInteractionParseResult.Fail("The payload has no channel.id; only message and Home tab actions are supported.");
        }

        var messageTs = GetString(GetObject(root, "message"), "ts")
                        ?? GetString(GetObject(root, "container"), "message_ts")
                        ?? (homeViewId is null ? null : "");
        if (messageTs is null)
        {
            return SlackInteractionParseResult.Fail("The payload has no message.ts; only message and Home tab actions are supported.");
        }

        var responseUrl = GetString(root, "response_url") ?? (homeViewId is null ? null : "");
        if (responseUrl is null)
        {
            return SlackInteractionParseResult.Fail("The payload has no response_url.");
        }

        if (!root.TryGetProperty("actions", out var actions)
            || actions.ValueKind != JsonValueKind.Array
            || actions.GetArrayLength() == 0)
        {
            return SlackInteractionParseResult.Fail("The payload has no actions.");
        }

        var action = actions[0];
        var actionId = GetString(action, "action_id");
        if (actionId is null)
        {
            return SlackInteractionParseResult.Fail("The first action has no action_id.");
        }

        return SlackInteractionParseResult.Ok(new SlackInteraction
        {
            UserId = userId,
            UserName = GetString(user, "username") ?? GetString(user, "name"),
            TeamId = GetString(GetObject(root, "team"), "id"),
            EnterpriseId = GetString(GetObject(root, "enterprise"), "id"),
            ChannelId = channelId,
            MessageTs = messageTs,
            ResponseUrl = responseUrl,
            ActionId = actionId,
            BlockId = GetString(action, "block_id"),
            Value = GetString(action, "value"),
            SelectedValue = GetString(GetObject(action, "selected_option"), "value"),
            ActionTs = GetString(action, "action_ts"),
            TriggerId = GetString(root, "trigger_id"),
            HomeViewId = homeViewId,
        });
    }

    /// <summary>
    /// The Home tab view a click came from: <c>container.type</c> "view" with the view of type "home". Null for a message
    /// click; an error for a click in any other view (a modal's buttons are not decisions).
    /// </summary>
    private static string? HomeViewOf(JsonElement root, out string? error)
    {
        error = null;
        var container = GetObject(root, "container");
        if (GetString(container, "type") != "view")
        {
            return null;
        }
        var view = GetObject(root, "view");
        if (GetString(view, "type") != "home")
        {
            error = "The action comes from a view that is not the Home tab; only message and Home tab actions are supported.";
            return null;
        }
        var id = GetString(view, "id") ?? GetString(container, "view_id");
        if (id is null)
        {
            error = "The Home tab action has no view.id.";
        }
        return id;
    }

    private static JsonElement? GetObject(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object
        && parent.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    private static string? GetString(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p
        && p.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } s
            ? s
            : null;

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
