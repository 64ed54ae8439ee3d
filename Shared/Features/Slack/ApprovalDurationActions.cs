namespace SgBridge.Shared.Slack;

/// <summary>
/// A duration choice names the duration and the request: "{prefix}:{duration label}:{request id}", under Slack's 150
/// characters for an option value and 255 for an action_id. It travels in one of two shapes:
/// <list type="bullet">
/// <item>a select (<c>static_select</c>) with action_id "{prefix}:{request id}" whose options carry the choice as their
/// value: Slack sends the picked one as <c>selected_option.value</c> (<see cref="SlackInteraction.SelectedValue"/>);</item>
/// <item>a button (one duration offered, or a removal) whose action_id is the choice and whose value is the request id.</item>
/// </list>
/// Either way the request the element belongs to and the request the choice names must agree.
/// </summary>
public static class ApprovalDurationActions
{
    public static string ActionId(string prefix, string label, string requestId) =>
        string.Join(ActionIds.Separator, prefix, label, requestId);

    /// <summary>The action_id of a duration select for <paramref name="requestId"/>: "{prefix}:{request id}".</summary>
    public static string SelectActionId(string prefix, string requestId) => ActionIds.For(prefix, requestId);

    /// <summary>Reads the label and request id of a choice "{prefix}:{label}:{id}"; false for anything not of that shape.</summary>
    public static bool TryParse(string actionId, string prefix, out string label, out string requestId)
    {
        ArgumentNullException.ThrowIfNull(actionId);
        label = requestId = "";
        if (!ActionIds.Matches(actionId, prefix) || actionId.Length <= prefix.Length + 1)
        {
            return false;
        }
        var rest = actionId[(prefix.Length + 1)..];
        var separator = rest.IndexOf(ActionIds.Separator, StringComparison.Ordinal);
        if (separator <= 0 || separator == rest.Length - 1)
        {
            return false;
        }
        label = rest[..separator];
        requestId = rest[(separator + 1)..];
        return true;
    }

    /// <summary>
    /// Reads a duration click in either shape: the label picked and the request it decides. False when the shape is
    /// wrong or the element's request and the choice's request differ (a forged or mismatched payload).
    /// </summary>
    public static bool TryRead(SlackInteraction click, string prefix, out string label, out string requestId)
    {
        ArgumentNullException.ThrowIfNull(click);
        label = requestId = "";
        if (click.SelectedValue is { } picked)
        {
            // A select: its action_id names the request, the option names the duration and the request again.
            var elementId = click.ActionId.Length > prefix.Length + 1 && ActionIds.Matches(click.ActionId, prefix) ? click.ActionId[(prefix.Length + 1)..] : "";
            return elementId.Length > 0 && !elementId.Contains(ActionIds.Separator, StringComparison.Ordinal)
                && TryParse(picked, prefix, out label, out requestId) && requestId == elementId;
        }
        return TryParse(click.ActionId, prefix, out label, out requestId) && requestId == click.Value;
    }
}
