namespace SgBridge.Shared.Slack;

/// <summary>
/// A duration choice "{prefix}:{duration label}:{request id}" travels as a select option's value (the select's action_id
/// is "{prefix}:{request id}") or as a button's action_id (its value the request id); either way both request ids must agree.
/// </summary>
public static class ApprovalDurationActions
{
    public static string ActionId(string prefix, string label, string requestId) =>
        string.Join(ActionIds.Separator, prefix, label, requestId);

    /// <summary>Reads the label and request id of a choice "{prefix}:{label}:{id}"; false for anything not of that shape.</summary>
    public static bool TryParse(string actionId, string prefix, out string label, out string requestId)
    {
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

    /// <summary>Reads a duration click in either shape; false when the shape is wrong or the two request ids differ (forged).</summary>
    public static bool TryRead(SlackInteraction click, string prefix, out string label, out string requestId)
    {
        label = requestId = "";
        if (click.SelectedValue is { } picked)
        {
            var elementId = click.ActionId.Length > prefix.Length + 1 && ActionIds.Matches(click.ActionId, prefix) ? click.ActionId[(prefix.Length + 1)..] : "";
            return elementId.Length > 0 && !elementId.Contains(ActionIds.Separator, StringComparison.Ordinal)
                && TryParse(picked, prefix, out label, out requestId) && requestId == elementId;
        }
        return TryParse(click.ActionId, prefix, out label, out requestId) && requestId == click.Value;
    }
}
