using Microsoft.Extensions.Logging;

namespace SgBridge.Shared.Slack;

/// <summary>Slack client log messages. Never pass tokens, secrets or payloads here.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "Slack {SlackMethod} rate limited; retrying in {RetryAfter} (attempt {Attempt})")]
    public static partial void SlackRateLimited(ILogger logger, string slackMethod, TimeSpan retryAfter, int attempt);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Slack {SlackMethod} still rate limited after {Attempts} attempts; Retry-After {RetryAfter}")]
    public static partial void SlackRateLimitedGivingUp(ILogger logger, string slackMethod, int attempts, TimeSpan retryAfter);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Slack {SlackMethod} answered HTTP {StatusCode}; retrying in {Backoff} (attempt {Attempt})")]
    public static partial void SlackServerError(ILogger logger, string slackMethod, int statusCode, TimeSpan backoff, int attempt);
}
