namespace SgBridge.Local.Slack;

/// <summary>The check the local Slack applies to every message before it takes it.</summary>
public static class SlackChecks
{
    /// <summary>SEAM: the bridge's payload validator (moving from Tests/Slack into Shared/Slack) plugs in here once merged.</summary>
    public static readonly SlackPayloadCheck Default = static (text, _) =>
        string.IsNullOrEmpty(text) ? ["top-level text is empty"] : [];
}
