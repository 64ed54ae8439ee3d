namespace SgBridge.Shared.Slack;

/// <summary>The bot scopes the Slack client's methods need; the app manifest asks for exactly these.</summary>
public static class SlackScopes
{
    public static IReadOnlyDictionary<string, string[]> ByMethod { get; } = new Dictionary<string, string[]>
    {
        ["chat.postMessage"] = ["chat:write"],
        ["chat.update"] = ["chat:write"],
        ["chat.postEphemeral"] = ["chat:write"],
        ["usergroups.users.list"] = ["usergroups:read"],
        // Slack: users:read.email must be requested together with users:read.
        ["users.lookupByEmail"] = ["users:read", "users:read.email"],
        // Slack: views.open needs no scope (the trigger id is the permission).
        ["views.open"] = [],
        // Slack: views.publish needs no scope (the Home tab is the app's own surface; app_home_opened needs none either).
        ["views.publish"] = [],
    };

    /// <summary>Scopes app features need rather than Web API methods: the /sgbridge slash command and the request shortcut.</summary>
    public static IReadOnlyDictionary<string, string[]> ByFeature { get; } = new Dictionary<string, string[]>
    {
        ["slash_commands"] = ["commands"],
        ["shortcuts"] = ["commands"],
    };

    public static IReadOnlySet<string> All { get; } = ByMethod.Values.Concat(ByFeature.Values).SelectMany(s => s).ToHashSet();
}
