namespace SgBridge.Shared.Slack;

/// <summary>Block Kit <c>action_id</c> values SgBridge puts on its approval buttons (the value is a request id).</summary>
public static class ActionIds
{
    public const string Approve = "sgbridge_approve";
    public const string Deny = "sgbridge_deny";

    /// <summary>On a shared message: decide every pending change of the batch (the value is the batch lead's id).</summary>
    public const string ApproveAll = "sgbridge_approve_all";
    public const string DenyAll = "sgbridge_deny_all";
}
