namespace SgBridge.Shared.Slack;

/// <summary>
/// Another render holds the claim to post the batch's first message: this delivery posts nothing and comes back after
/// <see cref="SlackTryLaterException.RetryAfter"/> (then it updates what the other posted, or takes over a lapsed claim).
/// </summary>
public sealed class SlackPostInProgressException(string message, TimeSpan retryAfter) : SlackTryLaterException(message, retryAfter);
