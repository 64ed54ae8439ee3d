using System.Diagnostics;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Sends <see cref="BridgeJson"/> messages to Azure Queue Storage through a client with base64 message encoding (what
/// the Functions queue trigger expects). A queue is created when a send finds it missing, never on every start. A
/// message sent inside a trace carries it in a <see cref="QueuePayload"/> envelope.
/// </summary>
public sealed class StorageQueueSender(QueueServiceClient service) : IQueueSender
{
    /// <summary>The service limit on a message's text: 64 KiB (Azurite: 65,536 UTF-8 bytes; base64 is ASCII).</summary>
    public const int MaxEncodedMessageLength = QueueMessageTooLargeException.MaxEncodedMessageLength;

    /// <summary>The largest JSON payload that fits once base64-encoded: 4 × ⌈49,152 / 3⌉ = 65,536.</summary>
    public const int MaxPayloadBytes = MaxEncodedMessageLength / 4 * 3;

    public Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken) =>
        SendAsync(queueName, message, TimeSpan.Zero, cancellationToken);

    public Task SendAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
        SendWithdrawableAsync(queueName, message, visibilityDelay, cancellationToken);

    public async Task<SentMessage?> SendWithdrawableAsync<T>(string queueName, T message, TimeSpan visibilityDelay, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        var trace = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current : null;
        var payload = QueuePayload.Encode(message, MaxPayloadBytes, trace?.Id, trace?.TraceStateString);
        if (EncodedLength(payload.Length) > MaxEncodedMessageLength)
        {
            throw new QueueMessageTooLargeException(queueName, payload.Length, EncodedLength(payload.Length));
        }
        var queue = service.GetQueueClient(queueName);
        Response<SendReceipt> sent;
        try
        {
            sent = await SendAsync(queue, payload, visibilityDelay, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == QueueErrorCode.QueueNotFound.ToString())
        {
            // Created only when missing, so a start with the queues in place makes no queue-creation call.
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            sent = await SendAsync(queue, payload, visibilityDelay, cancellationToken).ConfigureAwait(false);
        }
        return new SentMessage(queueName, sent.Value.MessageId, sent.Value.PopReceipt);
    }

    public async Task WithdrawAsync(SentMessage sent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sent);
        try
        {
            await service.GetQueueClient(sent.QueueName).DeleteMessageAsync(sent.MessageId, sent.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 || ex.ErrorCode == QueueErrorCode.PopReceiptMismatch.ToString())
        {
            // Received meanwhile (its pop receipt changed) or gone: the copy finds the work done when it runs.
        }
    }

    private static Task<Response<SendReceipt>> SendAsync(QueueClient queue, byte[] payload, TimeSpan visibilityDelay, CancellationToken cancellationToken) =>
        queue.SendMessageAsync(
            BinaryData.FromBytes(payload),
            visibilityTimeout: visibilityDelay > TimeSpan.Zero ? visibilityDelay : null,
            cancellationToken: cancellationToken);

    /// <summary>Length of the base64 text for <paramref name="payloadBytes"/> bytes (with padding).</summary>
    public static int EncodedLength(int payloadBytes) => (payloadBytes + 2) / 3 * 4;

}
