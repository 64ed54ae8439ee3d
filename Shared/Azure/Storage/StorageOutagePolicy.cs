using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace SgBridge.Shared.Storage;

/// <summary>
/// The storage adapter's error boundary, a per-call policy on every Table, Queue and Blob client: a call that ends in
/// an outage after the client's retries throws <see cref="StorageUnavailableException"/> instead of the SDK's
/// exception. Azure.Core reports a refused or reset connection as status 0, and retries that all threw (a network
/// timeout is a <see cref="TaskCanceledException"/> around a <see cref="TimeoutException"/>) as an
/// <see cref="AggregateException"/>. The caller's own cancellation is rethrown as is.
/// </summary>
public sealed class StorageOutagePolicy : HttpPipelinePolicy
{
    /// <summary>Adds the policy to a client's options (per call: it sees the outcome after the retries).</summary>
    public static T Apply<T>(T options) where T : ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddPolicy(new StorageOutagePolicy(), HttpPipelinePosition.PerCall);
        return options;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception ex) when (IsOutage(ex) && !message.CancellationToken.IsCancellationRequested)
        {
            throw Unavailable(message, ex);
        }
        ThrowOnOutageStatus(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsOutage(ex) && !message.CancellationToken.IsCancellationRequested)
        {
            throw Unavailable(message, ex);
        }
        ThrowOnOutageStatus(message);
    }

    /// <summary>True for an exception that says storage could not be reached or did not answer.</summary>
    public static bool IsOutage(Exception exception) =>
        exception is AggregateException a ? a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsTransport) : IsTransport(exception);

    /// <summary>True for a status that is no answer: 0 (no response), 408, 429 and 5xx.</summary>
    public static bool IsOutageStatus(int status) => status is 0 or 408 or 429 or >= 500;

    private static bool IsTransport(Exception e) => e switch
    {
        RequestFailedException r => IsOutageStatus(r.Status),
        // Azure.Core's network timeout (a TaskCanceledException, not the caller's token: that one is rethrown as is).
        OperationCanceledException => true,
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    private static void ThrowOnOutageStatus(HttpMessage message)
    {
        if (message.HasResponse && message.Response.Status is >= 500 or 408 or 429)
        {
            throw Unavailable(message, new RequestFailedException(message.Response));
        }
    }

    private static StorageUnavailableException Unavailable(HttpMessage message, Exception inner) =>
        new($"Azure Storage did not answer {message.Request.Method} {message.Request.Uri.ToUri().GetLeftPart(UriPartial.Path)}: {FirstLine(inner.Message)}", inner);

    internal static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
