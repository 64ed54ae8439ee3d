namespace SgBridge.Shared.Slack;

/// <summary>
/// What Slack sends SgBridge, parsed once (<c>SlackInboundParser</c>): a click (<see cref="SlackInteraction"/>), a
/// shortcut, a modal submission or a slash command (<see cref="Requests.SlackShortcut"/>,
/// <see cref="Requests.SlackViewSubmission"/>, <see cref="Requests.SlackCommand"/>).
/// </summary>
public abstract record SlackInbound;

/// <summary>
/// A <c>block_actions</c> interaction on a message or in the app's Home tab, reduced to what SgBridge uses (the first
/// action only). A Home tab click (<see cref="HomeViewId"/> set) has no channel, message or response_url: its
/// <see cref="ChannelId"/> and <see cref="MessageTs"/> are empty and its reply goes to the clicker as a DM.
/// </summary>
public sealed record SlackInteraction : SlackInbound
{
    public required string UserId { get; init; }

    /// <summary><c>user.username</c>, falling back to <c>user.name</c>.</summary>
    public string? UserName { get; init; }

    /// <summary>Null for Enterprise Grid org-wide installs, where Slack sends <c>"team": null</c>.</summary>
    public string? TeamId { get; init; }

    public string? EnterpriseId { get; init; }

    public required string ChannelId { get; init; }

    public required string MessageTs { get; init; }

    public required string ResponseUrl { get; init; }

    public required string ActionId { get; init; }

    public string? BlockId { get; init; }

    public string? Value { get; init; }

    /// <summary>A select menu's pick (<c>selected_option.value</c>); null for a button.</summary>
    public string? SelectedValue { get; init; }

    public string? ActionTs { get; init; }

    public string? TriggerId { get; init; }

    /// <summary>The Home tab view the click came from (<c>container.type</c> "view", view type "home"); null for a message click.</summary>
    public string? HomeViewId { get; init; }

    /// <summary>True when the click came from the clicker's Home tab, not from a message.</summary>
    public bool FromHome => HomeViewId is not null;
}
