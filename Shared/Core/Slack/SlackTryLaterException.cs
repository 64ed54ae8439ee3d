namespace SgBridge.Shared.Slack;

/// <summary>
/// Slack work that is not failing but must wait: the effect stays pending and its nudge comes back after
/// <see cref="RetryAfter"/>, without spending one of the queue's tries or counting as a failure.
/// </summary>
public abstract class SlackTryLaterException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
