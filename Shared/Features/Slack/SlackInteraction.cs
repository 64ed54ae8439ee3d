namespace SgBridge.Shared.Slack;

/// <summary>What Slack sends SgBridge, parsed once: a click, a shortcut, a modal submission or a slash command.</summary>
public abstract record SlackInbound;

/// <summary>
/// A <c>block_actions</c> click on a message or the Home tab (its first action). A Home tab click has no channel or
/// message (empty), and its reply goes to the clicker as a DM.
/// </summary>
public sealed record SlackInteraction : SlackInbound
{
    public required string UserId { get; init; }

    /// <summary><c>user.username</c>, falling back to <c>user.name</c>.</summary>
    public string? UserName { get; init; }

    /// <summary>Null for Enterprise Grid org-wide installs, where Slack sends <c>"team": null</c>.</summary>
    public string? TeamId { get; init; }

    public required string ChannelId { get; init; }

    public required string MessageTs { get; init; }

    public required string ActionId { get; init; }

    public string? Value { get; init; }

    /// <summary>A select menu's pick (<c>selected_option.value</c>); null for a button.</summary>
    public string? SelectedValue { get; init; }

    public string? TriggerId { get; init; }

    /// <summary>The Home tab view the click came from (<c>container.type</c> "view", view type "home"); null for a message click.</summary>
    public string? HomeViewId { get; init; }

    public bool FromHome => HomeViewId is not null;
}
