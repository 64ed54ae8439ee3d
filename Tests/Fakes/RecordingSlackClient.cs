using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Fakes;

/// <summary>Records Slack calls; answers like Slack (channel + ts) without a network.</summary>
public sealed class RecordingSlackClient : ISlackClient
{
    private int _ts = 1000;

    public ConcurrentQueue<(string Channel, string Text, JsonArray? Blocks, string? ThreadTs)> Posts { get; } = new();
    public ConcurrentQueue<(string Channel, string Ts, string Text, JsonArray? Blocks)> Updates { get; } = new();
    public ConcurrentQueue<(string Channel, string User, string Text)> Ephemerals { get; } = new();

    /// <summary>Home tabs published (views.publish), in order.</summary>
    public ConcurrentQueue<(string User, JsonObject View)> HomeViews { get; } = new();

    /// <summary>views.open (the reason and request modals): recorded, or failing or hanging as told.</summary>
    public SgBridge.Tests.Slack.Requests.RecordingViews Views { get; } = new();
    public Dictionary<string, string[]> Groups { get; } = new();
    public Dictionary<string, string> UsersByEmail { get; } = new(StringComparer.OrdinalIgnoreCase);
    public int GroupLookups;
    public Exception? FailPosts { get; set; }

    /// <summary>Refuses a post or update the way Slack does (e.g. <c>invalid_blocks</c>): (method, channel, blocks) → the error, or null to accept.</summary>
    public Func<string, string, JsonArray?, Exception?>? Refuse { get; set; }
    public Exception? FailLookups { get; set; }

    public Task<SlackMessageRef> PostMessageAsync(string channel, string text, JsonArray? blocks, string? threadTs, CancellationToken cancellationToken)
    {
        if (FailPosts is not null)
        {
            throw FailPosts;
        }
        if (Refuse?.Invoke("chat.postMessage", channel, blocks) is { } refused)
        {
            throw refused;
        }
        Posts.Enqueue((channel, text, blocks, threadTs));
        return Task.FromResult(new SlackMessageRef(channel, $"{Interlocked.Increment(ref _ts)}.000100"));
    }

    public Task<SlackMessageRef> UpdateMessageAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken cancellationToken)
    {
        if (Refuse?.Invoke("chat.update", channel, blocks) is { } refused)
        {
            throw refused;
        }
        Updates.Enqueue((channel, ts, text, blocks));
        return Task.FromResult(new SlackMessageRef(channel, ts));
    }

    public Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken)
    {
        if (Refuse?.Invoke("views.publish", userId, view["blocks"] as JsonArray) is { } refused)
        {
            throw refused;
        }
        HomeViews.Enqueue((userId, (JsonObject)view.DeepClone()));
        return Task.CompletedTask;
    }

    public Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken) => Views.OpenViewAsync(triggerId, view, cancellationToken);

    public Task PostEphemeralAsync(string channel, string user, string text, CancellationToken cancellationToken)
    {
        Ephemerals.Enqueue((channel, user, text));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref GroupLookups);
        if (FailLookups is not null)
        {
            throw FailLookups;
        }
        return Task.FromResult<IReadOnlyList<string>>(Groups.GetValueOrDefault(userGroupId) ?? []);
    }

    public Task<string?> LookupUserByEmailAsync(string email, CancellationToken cancellationToken) =>
        FailLookups is not null ? Task.FromException<string?>(FailLookups) : Task.FromResult(UsersByEmail.GetValueOrDefault(email));
}
