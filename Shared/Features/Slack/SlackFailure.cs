namespace SgBridge.Shared.Slack;

/// <summary>The one test for "Slack failed or was too slow" (not the caller's own cancellation): callers that carry on without Slack catch this.</summary>
public static class SlackFailure
{
    public static bool Is(Exception exception, CancellationToken callerToken) =>
        exception is SlackApiException or SlackRateLimitedException or HttpRequestException
        || (exception is OperationCanceledException && !callerToken.IsCancellationRequested);
}
