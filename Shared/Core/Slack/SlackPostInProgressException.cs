namespace SgBridge.Shared.Slack;

/// <summary>
/// Another render is posting the batch's first message right now (its claim on the thread is live): this delivery
/// posts nothing and escapes, so its effect stays pending and is tried again (then it updates what the other posted).
/// </summary>
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
