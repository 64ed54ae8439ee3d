namespace SgBridge.Shared.Slack;

/// <summary>Slack kept answering HTTP 429 after the client's bounded retries, or asked for a longer wait than allowed.</summary>
public sealed class SlackRateLimitedException : Exception
{
    public SlackRateLimitedException(string method, TimeSpan retryAfter)
        : base($"Slack {method} is rate limited; retry after {retryAfter.TotalSeconds:0} s")
    {
        Method = method;
        RetryAfter = retryAfter;
    }

    public string Method { get; }

    public TimeSpan RetryAfter { get; }
}
