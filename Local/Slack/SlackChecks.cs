using SgBridge.Shared.Slack;

namespace SgBridge.Local.Slack;

/// <summary>The check the local Slack applies to every message before it takes it.</summary>
public static class SlackChecks
{
    /// <summary>The bridge's payload validator: Slack's limits (SlackLimits) and its escaping rules, as the tests' stub Slack uses it.</summary>
    public static readonly SlackPayloadCheck Default = static (text, blocks) => SlackPayloadValidator.Check(text, blocks);
}
