using System.Text.RegularExpressions;

namespace SgBridge.Shared.Slack;

/// <summary>Block Kit <c>action_id</c> prefixes: "prefix:request id", so ids are unique within a message; routing matches the prefix.</summary>
public static class ActionIds
{
    public const string Approve = "sgbridge_approve";
    public const string Deny = "sgbridge_deny";

    /// <summary>On a shared message: decide every pending change of the batch (the value is the batch lead's id).</summary>
    public const string ApproveAll = "sgbridge_approve_all";
    public const string DenyAll = "sgbridge_deny_all";

    /// <summary>Approve for a configured duration: action_id "{prefix}:{duration label}:{request id}" (ApprovalDurationActions).</summary>
    public const string ApproveFor = "sgbridge_approve_for";
    public const string ApproveAllFor = "sgbridge_approve_all_for";

    /// <summary>On an applied time-bound request: an approver takes the access back now (the value is the request id).</summary>
    public const string RevokeAccess = "sgbridge_revoke_access";

    /// <summary>In the requester's message about time-bound access: ask for more time (the value is the request id).</summary>
    public const string ExtendAccess = "sgbridge_extend_access";

    /// <summary>In the requester's DM after a revert: give the approvers a reason (the value is the request id).</summary>
    public const string GiveReason = "sgbridge_give_reason";

    /// <summary>The callback id of the reason modal that "Give a reason" opens (view submissions are routed by it).</summary>
    public const string ReasonCallback = "sgbridge_reason";

    public const char Separator = ':';

    /// <summary>The action_id of <paramref name="prefix"/>'s button for <paramref name="requestId"/>.</summary>
    public static string For(string prefix, string requestId) => prefix + Separator + requestId;

    /// <summary>True when <paramref name="actionId"/> is <paramref name="prefix"/> itself or <paramref name="prefix"/> followed by the separator.</summary>
    public static bool Matches(string actionId, string prefix) =>
        actionId.StartsWith(prefix, StringComparison.Ordinal)
        && (actionId.Length == prefix.Length || actionId[prefix.Length] == Separator);
}

/// <summary>Slack's id shapes the bridge accepts from outside (settings, event payloads) before it uses them.</summary>
public static partial class SlackIds
{
    /// <summary>A Slack user id as Slack sends them (U… or W…).</summary>
    public static bool IsUserId(string? id) => id is not null && UserId().IsMatch(id);

    [GeneratedRegex("^[UW][A-Z0-9]{1,30}$")]
    private static partial Regex UserId();
}
