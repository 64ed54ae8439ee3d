using System.Text.Json.Nodes;

namespace SgBridge.Shared.Slack;

/// <summary>The Slack Web API method the Home tab needs (implemented by <see cref="SlackClient"/>, with its retries and error handling).</summary>
public interface ISlackHomeClient
{
    /// <summary>views.publish: replaces <paramref name="userId"/>'s Home tab with <paramref name="view"/> (type "home").</summary>
    Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken);
}
