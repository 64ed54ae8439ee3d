namespace SgBridge.FunctionApp;

/// <summary>HTTP routes (under the host's /api prefix).</summary>
public static class Routes
{
    public const string AwsEvents = "aws/events";
    public const string SlackInteractions = "slack/interactions";
    public const string SlackCommands = "slack/commands";
    public const string SlackEvents = "slack/events";

    /// <summary>The header the EventBridge connection sends the function key in (API_KEY auth).</summary>
    public const string FunctionKeyHeader = "x-functions-key";
}
