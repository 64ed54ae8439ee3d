using System.Net.Sockets;
using Azure;

namespace SgBridge.Shared.Processing;

/// <summary>
/// Tells "Azure Storage could not be reached or did not answer" apart from every other failure, so that the worker can
/// take its storage-less fallback for exactly that case and nothing else. Azure.Core reports a refused or reset
/// connection as <see cref="RequestFailedException"/> with status 0 (wrapping the transport's exception) and a server
/// fault as 5xx; when every retry ended in an exception (a network timeout is a <see cref="TaskCanceledException"/>
/// around a <see cref="TimeoutException"/>) its retry policy throws an <see cref="AggregateException"/> of them.
/// Bare transport exceptions (outside Azure's AggregateException) are deliberately not counted: the AWS SDK throws those too, and an EC2 outage must never
/// be taken for a storage one. A 404, 409 or 412 is an answer, not an outage.
/// </summary>
public static class StorageFailure
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsTransport),
        _ => false,
    };

    private static bool IsTransport(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        // Azure.Core's network timeout (a TaskCanceledException, not the caller's token: that one is rethrown as is).
        OperationCanceledException => true,
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };
}
