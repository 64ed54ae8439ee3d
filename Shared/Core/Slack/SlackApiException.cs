namespace SgBridge.Shared.Slack;

/// <summary>Slack answered HTTP 200 with <c>"ok": false</c>.</summary>
public class SlackApiException(string method, string error) : Exception($"Slack {method} failed: {error}")
{
    /// <summary>The Web API method, e.g. <c>chat.postMessage</c>.</summary>
    public string Method { get; } = method;

    /// <summary>Slack's error code, e.g. <c>channel_not_found</c>, <c>not_in_channel</c>, <c>invalid_auth</c>.</summary>
    public string Error { get; } = error;
}
