using System.Net;
using System.Text;
using System.Text.Json;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>A slash command as Slack posts it (application/x-www-form-urlencoded), reduced to what SgBridge uses.</summary>
public sealed record SlackCommand(string Command, string Text, string UserId, string? UserName, string TeamId, string TriggerId, string ResponseUrl, string? ChannelId);

/// <summary>A global shortcut (<c>type: shortcut</c>) on the interactions URL.</summary>
public sealed record SlackShortcut(string CallbackId, string TriggerId, string UserId, string? UserName, string? TeamId);

/// <summary>
/// A modal submission (<c>type: view_submission</c>): the view's id, callback id and private metadata, who submitted it,
/// and each input's value by block id (a text input's value or a select's selected option value; null when empty).
/// </summary>
public sealed record SlackViewSubmission(string ViewId, string CallbackId, string? PrivateMetadata, string UserId, string? UserName, string? TeamId,
    string? TriggerId, IReadOnlyDictionary<string, string?> Values);

/// <summary>A parse result: the value, or an error naming the field (safe to log: it never quotes the payload).</summary>
public sealed record SlackParse<T>(T? Value, string? Error) where T : class
{
    public static SlackParse<T> Ok(T value) => new(value, null);

    public static SlackParse<T> Fail(string error) => new(null, error);
}

/// <summary>
/// Parses what Slack sends for requests: slash commands (form fields) and the <c>shortcut</c> and <c>view_submission</c>
/// payloads of the interactions URL. Anything a real Slack request always carries is required, and a missing field is
/// named in the error. Never throws on bad input; verify the signature over the raw bytes first.
/// </summary>
public static class SlackRequestPayloadParser
{
    public const string ShortcutType = "shortcut";
    public const string ViewSubmissionType = "view_submission";

    public static SlackParse<SlackCommand> ParseCommand(ReadOnlySpan<byte> body)
    {
        if (!TryDecode(body, out var text))
        {
            return SlackParse<SlackCommand>.Fail("The body is not valid UTF-8.");
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=');
            var name = WebUtility.UrlDecode(separator < 0 ? pair : pair[..separator]);
            var value = separator < 0 ? "" : WebUtility.UrlDecode(pair[(separator + 1)..]);
            if (!fields.TryAdd(name, value))
            {
                return SlackParse<SlackCommand>.Fail($"The body has the field {Truncate(name)} more than once.");
            }
        }
        foreach (var required in new[] { "command", "user_id", "team_id", "trigger_id", "response_url" })
        {
            if (!fields.TryGetValue(required, out var v) || string.IsNullOrWhiteSpace(v))
            {
                return SlackParse<SlackCommand>.Fail($"The slash command has no {required}.");
            }
        }
        if (!fields["command"].StartsWith('/'))
        {
            return SlackParse<SlackCommand>.Fail("The slash command's command does not start with '/'.");
        }
        return SlackParse<SlackCommand>.Ok(new SlackCommand(fields["command"], fields.GetValueOrDefault("text") ?? "", fields["user_id"],
            Blank(fields.GetValueOrDefault("user_name")), fields["team_id"], fields["trigger_id"], fields["response_url"], Blank(fields.GetValueOrDefault("channel_id"))));
    }

    /// <summary>The <c>type</c> of the interaction payload in a form body, or null when the body has no readable payload.</summary>
    public static string? PayloadType(ReadOnlySpan<byte> body, out JsonDocument? document)
    {
        document = null;
        if (!TryDecode(body, out var text))
        {
            return null;
        }
        string? payload = null;
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=');
            if (separator > 0 && WebUtility.UrlDecode(pair[..separator]) == "payload")
            {
                if (payload is not null)
                {
                    return null;
                }
                payload = WebUtility.UrlDecode(pair[(separator + 1)..]);
            }
        }
        if (string.IsNullOrWhiteSpace(payload))
        {
            return null;
        }
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            return null;
        }
        return GetString(document.RootElement, "type");
    }

    public static SlackParse<SlackShortcut> ParseShortcut(JsonElement root)
    {
        var user = GetObject(root, "user");
        if (GetString(root, "callback_id") is not { } callback)
        {
            return SlackParse<SlackShortcut>.Fail("The shortcut has no callback_id.");
        }
        if (GetString(root, "trigger_id") is not { } trigger)
        {
            return SlackParse<SlackShortcut>.Fail("The shortcut has no trigger_id.");
        }
        if (GetString(user, "id") is not { } userId)
        {
            return SlackParse<SlackShortcut>.Fail("The shortcut has no user.id.");
        }
        return SlackParse<SlackShortcut>.Ok(new SlackShortcut(callback, trigger, userId, GetString(user, "username") ?? GetString(user, "name"),
            GetString(GetObject(root, "team"), "id") ?? GetString(user, "team_id")));
    }

    public static SlackParse<SlackViewSubmission> ParseViewSubmission(JsonElement root)
    {
        var user = GetObject(root, "user");
        if (GetString(user, "id") is not { } userId)
        {
            return SlackParse<SlackViewSubmission>.Fail("The view_submission has no user.id.");
        }
        var view = GetObject(root, "view");
        if (view is null)
        {
            return SlackParse<SlackViewSubmission>.Fail("The view_submission has no view.");
        }
        if (GetString(view, "id") is not { } viewId)
        {
            return SlackParse<SlackViewSubmission>.Fail("The view_submission has no view.id.");
        }
        if (GetString(view, "callback_id") is not { } callback)
        {
            return SlackParse<SlackViewSubmission>.Fail("The view_submission has no view.callback_id.");
        }
        if (GetObject(GetObject(view, "state"), "values") is not { } values)
        {
            return SlackParse<SlackViewSubmission>.Fail("The view_submission has no view.state.values.");
        }
        var read = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var block in values.EnumerateObject())
        {
            if (block.Value.ValueKind != JsonValueKind.Object)
            {
                return SlackParse<SlackViewSubmission>.Fail($"view.state.values.{Truncate(block.Name)} is not an object.");
            }
            // One input element per block: its value (text input) or its selected option's value (select).
            foreach (var element in block.Value.EnumerateObject())
            {
                read[block.Name] = GetString(element.Value, "value") ?? GetString(GetObject(element.Value, "selected_option"), "value");
                break;
            }
        }
        return SlackParse<SlackViewSubmission>.Ok(new SlackViewSubmission(viewId, callback, GetString(view, "private_metadata"), userId,
            GetString(user, "username") ?? GetString(user, "name"), GetString(GetObject(root, "team"), "id") ?? GetString(user, "team_id"),
            GetString(root, "trigger_id"), read));
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

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static JsonElement? GetObject(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? GetString(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } s ? s : null;

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
