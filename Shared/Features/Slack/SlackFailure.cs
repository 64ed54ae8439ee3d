namespace SgBridge.Shared.Slack;

/// <summary>
/// The one test for "Slack failed or was too slow" (an API error, rate limit, network failure, or a budget that ran
/// out while the caller's own token did not): callers that may carry on without Slack catch exactly this.
/// </summary>
public static class SlackFailure
{
    public static bool Is(Exception exception, CancellationToken callerToken) =>
        exception is SlackApiException or SlackRateLimitedException or HttpRequestException
        || (exception is OperationCanceledException && !callerToken.IsCancellationRequested);
}
