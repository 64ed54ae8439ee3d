namespace SgBridge.Shared.Slack;

/// <summary>
/// The action_id of an Approve-for-a-duration button: "{prefix}:{duration label}:{request id}" — unique within a
/// message, under Slack's 255 characters. The value is the request id too; the two must agree.
/// </summary>
public static class ApprovalDurationActions
{
    public static string ActionId(string prefix, string label, string requestId) =>
        string.Join(ActionIds.Separator, prefix, label, requestId);

    /// <summary>Reads the label and request id; false for anything not of that shape.</summary>
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
}
