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
}
