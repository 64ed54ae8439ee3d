using SgBridge.Shared.Approvals;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>Handles one kind of button, found by its <see cref="ActionId"/> prefix; the endpoint has read its <see cref="ClickContext"/> first.</summary>
public interface IBlockActionHandler
{
    string ActionId { get; }

    /// <summary>What the endpoint reads for the click before the handler runs.</summary>
    ClickScope Scope { get; }

    /// <summary>The request the click names (default: the button's value), or why it is refused before anything is read.</summary>
    ClickTarget Target(SlackInteraction click) => new(click.Value, null);

    Task<DecisionResult> HandleAsync(ClickContext context, CancellationToken cancellationToken);
}

/// <summary>The request a click names, or the refusal that ends it before anything is read.</summary>
public sealed record ClickTarget(string? RequestId, DecisionResult? Refused);

public interface IShortcutHandler
{
    string CallbackId { get; }

    Task<DecisionResult> HandleAsync(SlackShortcut shortcut, CancellationToken cancellationToken);
}

/// <summary>Handles one of SgBridge's modals; the endpoint has opened its seal: private_metadata is the data sealed into it.</summary>
public interface IViewSubmissionHandler
{
    string CallbackId { get; }

    Task<DecisionResult> HandleAsync(SlackViewSubmission submission, CancellationToken cancellationToken);
}

/// <summary>Handles the app's slash command (the one the manifest declares, <c>/sgbridge</c>).</summary>
public interface ISlashCommandHandler
{
    Task<DecisionResult> HandleAsync(SlackCommand command, CancellationToken cancellationToken);
}

/// <summary>The one registry of SgBridge's Slack handlers: buttons by action id (prefix), shortcuts and modals by callback id, and the slash command.</summary>
public sealed class SlackHandlers(
    IEnumerable<IBlockActionHandler> clicks,
    IEnumerable<IShortcutHandler> shortcuts,
    IEnumerable<IViewSubmissionHandler> submissions,
    ISlashCommandHandler command)
{
    private readonly IReadOnlyList<IBlockActionHandler> _clicks = [.. clicks];
    private readonly Dictionary<string, IShortcutHandler> _shortcuts = shortcuts.ToDictionary(h => h.CallbackId, StringComparer.Ordinal);
    private readonly Dictionary<string, IViewSubmissionHandler> _submissions = submissions.ToDictionary(h => h.CallbackId, StringComparer.Ordinal);

    public IBlockActionHandler? Click(string actionId) => _clicks.FirstOrDefault(h => ActionIds.Matches(actionId, h.ActionId));

    public IShortcutHandler? Shortcut(string callbackId) => _shortcuts.GetValueOrDefault(callbackId);

    public IViewSubmissionHandler? Submission(string callbackId) => _submissions.GetValueOrDefault(callbackId);

    public ISlashCommandHandler Command => command;
}
