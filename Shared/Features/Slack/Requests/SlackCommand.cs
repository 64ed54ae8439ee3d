namespace SgBridge.Shared.Slack.Requests;

/// <summary>A slash command as Slack posts it (application/x-www-form-urlencoded), reduced to what SgBridge uses.</summary>
public sealed record SlackCommand(string Command, string Text, string UserId, string? UserName, string TeamId, string TriggerId, string ResponseUrl, string? ChannelId) : SlackInbound;

/// <summary>A global shortcut (<c>type: shortcut</c>) on the interactions URL.</summary>
public sealed record SlackShortcut(string CallbackId, string TriggerId, string UserId, string? UserName, string? TeamId) : SlackInbound;

/// <summary>A modal submission (<c>view_submission</c>): the view, who submitted it, and each input's value by block id (null when empty).</summary>
public sealed record SlackViewSubmission(string ViewId, string CallbackId, string? PrivateMetadata, string UserId, string? UserName, string? TeamId,
    string? TriggerId, IReadOnlyDictionary<string, string?> Values) : SlackInbound;

/// <summary>An Events API body: the url_verification challenge, or who opened the Home tab; both null: an event SgBridge ignores.</summary>
public sealed record SlackEvent(string? Challenge, string? HomeOpenedBy) : SlackInbound;

/// <summary>A parse result: the value, or an error naming the field (safe to log: it never quotes the payload).</summary>
public sealed record SlackParse<T>(T? Value, string? Error) where T : class
{
    public static SlackParse<T> Ok(T value) => new(value, null);

    public static SlackParse<T> Fail(string error) => new(null, error);
}
