using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

/// <summary>The Slack Web API methods SgBridge uses.</summary>
public interface ISlackClient
{
    Task<SlackMessageRef> PostMessageAsync(string channel, string text, JsonArray? blocks, string? threadTs, CancellationToken cancellationToken);

    Task<SlackMessageRef> UpdateMessageAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken cancellationToken);

    Task PostEphemeralAsync(string channel, string user, string text, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken);

    /// <summary>The user id, or null when Slack answers <c>users_not_found</c>.</summary>
    Task<string?> LookupUserByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>views.publish: replaces <paramref name="userId"/>'s Home tab with <paramref name="view"/> (type "home").</summary>
    Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken);

    /// <summary>views.open: opens <paramref name="view"/> for the user behind <paramref name="triggerId"/> (valid for 3 seconds, once); returns the view id.</summary>
    Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken);
}
