using Microsoft.Extensions.Options;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Slack;

internal static class SlackTestOptions
{
    public const string BotToken = "test-bot-token";

    public static SlackOptions Create(Action<SlackOptions>? configure = null)
    {
        var options = new SlackOptions
        {
            BotToken = BotToken,
            SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5",
            ApproversChannel = "C0APPROVERS",
            MonitoringChannel = "C0MONITOR",
            ApproverUserIds = "U111,U222",
        };
        configure?.Invoke(options);
        return options;
    }

    public static IOptions<SlackOptions> Wrap(SlackOptions options) => Options.Create(options);
}
