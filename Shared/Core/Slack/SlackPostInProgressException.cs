namespace SgBridge.Shared.Slack;

/// <summary>Another render is posting the batch's first message now: this delivery posts nothing and escapes, so its effect is tried
/// again.</summary>
public sealed class SlackPostInProgressException : Exception
{
    public SlackPostInProgressException()
        : this("Another render is posting this batch's message.")
    {
    }

    public SlackPostInProgressException(string message)
        : base(message)
    {
    }

    public SlackPostInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
