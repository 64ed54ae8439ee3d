using System.Net;
using System.Text;
using System.Text.Json;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>
/// The one parser of what Slack sends (interactions, slash commands and events). What Slack always sends is required; an error
/// names the missing field and never quotes the payload (safe to log). Never throws; verify the signature first.
/// </summary>
public static class SlackInboundParser
{
    /// <summary>A body of the interactions URL: a click, a shortcut or a modal submission.</summary>
    public static SlackParse<SlackInbound> ParseInteraction(ReadOnlySpan<byte> body) =>
        TryDecode(body, out var text) ? ParseInteraction(text) : Fail("The body is not valid UTF-8.");

    public static SlackParse<SlackInbound> ParseInteraction(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return Fail("The body is empty.");
        }
        var payloads = Fields(body).Where(f => f.Name == "payload").Select(f => f.Value).ToList();
        if (payloads.Count > 1)
        {
            return Fail("The body has more than one payload field.");
        }
        var payload = payloads.FirstOrDefault();
        if (string.IsNullOrWhiteSpace(payload))
        {
            return Fail("The body has no payload field.");
        }
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail("The payload is not a JSON object.");
            }
            return GetString(root, "type") switch
            {
                "block_actions" => ParseBlockActions(root),
                "shortcut" => ParseShortcut(root),
                "view_submission" => ParseViewSubmission(root),
                null => Fail("The payload has no type."),
                var other => Fail($"The payload type '{Truncate(other)}' is not block_actions, shortcut or view_submission."),
            };
        }
        catch (JsonException)
        {
            return Fail("The payload field is not valid JSON.");
        }
    }

    /// <summary>A body of the slash command URL.</summary>
    public static SlackParse<SlackCommand> ParseCommand(ReadOnlySpan<byte> body)
    {
        if (!TryDecode(body, out var text))
        {
            return SlackParse<SlackCommand>.Fail("The body is not valid UTF-8.");
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Fields(text))
        {
            if (!fields.TryAdd(name, value))
            {
                return SlackParse<SlackCommand>.Fail($"The body has the field {Truncate(name)} more than once.");
            }
        }
        string? Field(string name) => string.IsNullOrWhiteSpace(fields.GetValueOrDefault(name)) ? null : fields[name];
        var error = Missing("slash command", ("command", Field("command")), ("user_id", Field("user_id")), ("team_id", Field("team_id")),
                ("trigger_id", Field("trigger_id")), ("response_url", Field("response_url")))
            ?? (fields["command"].StartsWith('/') ? null : "The slash command's command does not start with '/'.");
        return error is not null
            ? SlackParse<SlackCommand>.Fail(error)
            : SlackParse<SlackCommand>.Ok(new SlackCommand(fields["command"], fields.GetValueOrDefault("text") ?? "", fields["user_id"],
                Field("user_name"), fields["team_id"], fields["trigger_id"], fields["response_url"], Field("channel_id")));
    }

    /// <summary>A body of the events URL: the url_verification challenge, the user who opened the Home tab, or neither (an event SgBridge ignores).</summary>
    public static SlackParse<SlackEvent> ParseEvent(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(TryDecode(body, out var text) ? text : "");
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return SlackParse<SlackEvent>.Fail("The body is not a JSON object.");
            }
            var e = GetObject(root, "event");
            return GetString(root, "type") switch
            {
                "url_verification" => GetString(root, "challenge") is { } challenge
                    ? SlackParse<SlackEvent>.Ok(new(challenge, null))
                    : SlackParse<SlackEvent>.Fail("The url_verification request has no challenge."),
                "event_callback" when GetString(e, "type") == "app_home_opened" && GetString(e, "tab") == "home" =>
                    GetString(e, "user") is { } user && SlackIds.IsUserId(user)
                        ? SlackParse<SlackEvent>.Ok(new(null, user))
                        : SlackParse<SlackEvent>.Fail("The app_home_opened event has no user id."),
                _ => SlackParse<SlackEvent>.Ok(new(null, null)),
            };
        }
        catch (JsonException)
        {
            return SlackParse<SlackEvent>.Fail("The body is not a JSON object.");
        }
    }

    private static SlackParse<SlackInbound> ParseBlockActions(JsonElement root)
    {
        var user = GetObject(root, "user");
        var container = GetObject(root, "container");
        var view = GetObject(root, "view");
        // A click in the app's Home tab: its container is the view (no channel, message or response_url); a modal's buttons decide nothing.
        var fromView = GetString(container, "type") == "view";
        var homeViewId = fromView ? GetString(view, "id") ?? GetString(container, "view_id") : null;
        var orHome = homeViewId is null ? null : "";
        var channelId = GetString(GetObject(root, "channel"), "id") ?? GetString(container, "channel_id") ?? orHome;
        var messageTs = GetString(GetObject(root, "message"), "ts") ?? GetString(container, "message_ts") ?? orHome;
        var action = root.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array
            && actions.GetArrayLength() > 0 ? actions[0] : (JsonElement?)null;
        var error = new (bool Failed, string Error)[]
        {
            (GetString(user, "id") is null, "The payload has no user.id."),
            (fromView && GetString(view, "type") != "home",
                "The action comes from a view that is not the Home tab; only message and Home tab actions are supported."),
            (fromView && homeViewId is null, "The Home tab action has no view.id."),
            (channelId is null, "The payload has no channel.id; only message and Home tab actions are supported."),
            (messageTs is null, "The payload has no message.ts; only message and Home tab actions are supported."),
            (GetString(root, "response_url") is null && homeViewId is null, "The payload has no response_url."),
            (action is null, "The payload has no actions."),
            (GetString(action, "action_id") is null, "The first action has no action_id."),
        }.FirstOrDefault(c => c.Failed).Error;
        return error is not null ? Fail(error) : SlackParse<SlackInbound>.Ok(new SlackInteraction
        {
            UserId = GetString(user, "id")!,
            UserName = UserName(user),
            TeamId = GetString(GetObject(root, "team"), "id"),
            ChannelId = channelId!,
            MessageTs = messageTs!,
            ActionId = GetString(action, "action_id")!,
            Value = GetString(action, "value"),
            SelectedValue = GetString(GetObject(action, "selected_option"), "value"),
            TriggerId = GetString(root, "trigger_id"),
            HomeViewId = homeViewId,
        });
    }

    private static SlackParse<SlackInbound> ParseShortcut(JsonElement root)
    {
        var user = GetObject(root, "user");
        var (callback, trigger, userId) = (GetString(root, "callback_id"), GetString(root, "trigger_id"), GetString(user, "id"));
        return Missing("shortcut", ("callback_id", callback), ("trigger_id", trigger), ("user.id", userId)) is { } error
            ? Fail(error)
            : SlackParse<SlackInbound>.Ok(new SlackShortcut(callback!, trigger!, userId!, UserName(user), TeamId(root, user)));
    }

    private static SlackParse<SlackInbound> ParseViewSubmission(JsonElement root)
    {
        var user = GetObject(root, "user");
        var view = GetObject(root, "view");
        var (userId, viewId, callback) = (GetString(user, "id"), GetString(view, "id"), GetString(view, "callback_id"));
        var values = GetObject(GetObject(view, "state"), "values");
        if (Missing("view_submission", ("user.id", userId), ("view", view), ("view.id", viewId), ("view.callback_id", callback),
            ("view.state.values", values)) is { } error)
        {
            return Fail(error);
        }
        var read = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var block in values!.Value.EnumerateObject())
        {
            if (block.Value.ValueKind != JsonValueKind.Object)
            {
                return Fail($"view.state.values.{Truncate(block.Name)} is not an object.");
            }
            // One input element per block: its value (text input) or its selected option's value (select).
            foreach (var element in block.Value.EnumerateObject())
            {
                read[block.Name] = GetString(element.Value, "value") ?? GetString(GetObject(element.Value, "selected_option"), "value");
                break;
            }
        }
        return SlackParse<SlackInbound>.Ok(new SlackViewSubmission(viewId!, callback!, GetString(view, "private_metadata"), userId!,
            UserName(user), TeamId(root, user), GetString(root, "trigger_id"), read));
    }

    private static SlackParse<SlackInbound> Fail(string error) => SlackParse<SlackInbound>.Fail(error);

    /// <summary>"The {what} has no {name}." for the first required field that is missing; null when none is.</summary>
    private static string? Missing(string what, params (string Name, object? Value)[] fields) =>
        fields.FirstOrDefault(f => f.Value is null).Name is { } name ? $"The {what} has no {name}." : null;

    private static string? UserName(JsonElement? user) => GetString(user, "username") ?? GetString(user, "name");

    private static string? TeamId(JsonElement root, JsonElement? user) =>
        GetString(GetObject(root, "team"), "id") ?? GetString(user, "team_id");

    /// <summary>The form's fields in order, names and values URL-decoded.</summary>
    private static IEnumerable<(string Name, string Value)> Fields(string form)
    {
        foreach (var pair in form.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=');
            yield return (WebUtility.UrlDecode(separator < 0 ? pair : pair[..separator]), separator < 0 ? "" : WebUtility.UrlDecode(pair[(separator + 1)..]));
        }
    }

    private static bool TryDecode(ReadOnlySpan<byte> body, out string text)
    {
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static JsonElement? GetObject(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? GetString(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } s ? s : null;

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
