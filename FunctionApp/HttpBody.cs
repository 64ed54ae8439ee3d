using Microsoft.AspNetCore.Http;

namespace SgBridge.FunctionApp;

internal static class HttpBody
{
    /// <summary>Reads at most <paramref name="limit"/> + 1 bytes, so an oversized body is detected without reading it all.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpRequest req, int limit, CancellationToken cancellationToken)
    {
        if (req.ContentLength > limit)
        {
            return new byte[limit + 1];
        }
        using var buffer = new MemoryStream(req.ContentLength is > 0 and var n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await req.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                break;
            }
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
