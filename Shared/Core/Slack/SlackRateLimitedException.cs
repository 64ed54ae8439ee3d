namespace SgBridge.Shared.Slack;

/// <summary>Slack kept answering HTTP 429 after the client's bounded retries, or asked for a longer wait than allowed.</summary>
public sealed class SlackRateLimitedException(string method, TimeSpan retryAfter)
    : SlackTryLaterException($"Slack {method} is rate limited; retry after {retryAfter.TotalSeconds:0} s", retryAfter)
{
    public string Method { get; } = method;
}
