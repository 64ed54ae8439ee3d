namespace SgBridge.Shared.Storage;

/// <summary>A message is larger than Azure Queue Storage accepts (64 KiB of base64 text, i.e. 48 KiB of JSON).</summary>
public sealed class QueueMessageTooLargeException(string queueName, int payloadBytes, int encodedLength)
    : InvalidOperationException(
        $"The message for queue '{queueName}' is too large: {payloadBytes} bytes of JSON become {encodedLength} characters of base64, " +
        $"and Azure Queue Storage accepts at most {MaxEncodedMessageLength} " +
        $"({MaxEncodedMessageLength / 4 * 3} bytes of JSON).")
{
    /// <summary>The most base64 text Azure Queue Storage accepts in one message (64 KiB).</summary>
    public const int MaxEncodedMessageLength = 64 * 1024;

    public string QueueName { get; } = queueName;
    public int PayloadBytes { get; } = payloadBytes;
    public int EncodedLength { get; } = encodedLength;
}
