using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Records every request the bridge's real <c>TableServiceClient</c> sends (a per-retry pipeline policy), so a test
/// can say what reached Table Storage: point reads, single-partition queries, scans.
/// </summary>
public sealed class TableRequestLog : HttpPipelinePolicy
{
    private readonly ConcurrentQueue<TableRequest> _requests = new();

    public IReadOnlyList<TableRequest> Requests => _requests.ToArray();

    public void Clear() => _requests.Clear();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Record(HttpMessage message) =>
        _requests.Enqueue(new TableRequest(message.Request.Method.Method, message.Request.Uri.ToUri()));
}

/// <summary>One request to Table Storage, classified by what it asks the service to read.</summary>
public sealed record TableRequest(string Method, Uri Uri)
{
    /// <summary>The entity set or entity addressed: "table()" (a query), "table(PartitionKey='…',RowKey='…')" (a point read), "Tables", "$batch".</summary>
    public string Resource => Uri.UnescapeDataString(Uri.AbsolutePath.TrimEnd('/').Split('/')[^1]);

    /// <summary>The OData <c>$filter</c> (unescaped), or null.</summary>
    public string? Filter =>
        Uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p[0] == "$filter" || p[0] == "%24filter")
            .Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1].Replace('+', ' ') : string.Empty))
            .FirstOrDefault();

    public bool IsPointRead => Method == "GET" && Resource.Contains("(PartitionKey=", StringComparison.Ordinal);

    /// <summary>A read of entities that is not a point read: a query of a table (or of the table list).</summary>
    public bool IsQuery => Method == "GET" && !IsPointRead;

    /// <summary>
    /// A query that names no single partition: no <c>PartitionKey eq</c> condition, or alternatives joined by
    /// <c>or</c> at the top level that could reach other partitions. What Table Storage serves by scanning.
    /// </summary>
    public bool IsScan => IsQuery && (Filter is not { } f || !f.Contains("PartitionKey eq", StringComparison.Ordinal) || f.Contains(" or PartitionKey", StringComparison.Ordinal));

    public override string ToString() => $"{Method} {Resource}{(Filter is { } f ? " $filter=" + f : string.Empty)}";
}
