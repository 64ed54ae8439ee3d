namespace SgBridge.Shared.Slack;

/// <summary>Block Kit <c>action_id</c> values SgBridge puts on its approval buttons.</summary>
public static class ActionIds
{
    public const string Approve = "sgbridge_approve";
    public const string Deny = "sgbridge_deny";
}
