using System.Text.Json.Nodes;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>The Slack Web API methods requests from Slack need (implemented by <see cref="SlackClient"/>, with its retries and error handling).</summary>
public interface ISlackRequestsClient
{
    /// <summary>views.open: opens <paramref name="view"/> for the user behind <paramref name="triggerId"/> (valid for 3 seconds, once); returns the view id.</summary>
    Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken);

}
