using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;

namespace SgBridge.Shared.Storage;

/// <summary>
/// Stores a JSON document in a table entity within the service limits (a string property 32K UTF-16 characters, a
/// binary one 64 KiB, an entity 1 MiB): inline in <c>Json</c> up to <see cref="MaxInlineChars"/>, else gzipped across
/// <c>JsonGzip0</c>…<c>JsonGzipN</c> with the count in <c>JsonGzipParts</c>.
/// </summary>
internal static class TableJson
{
    internal const string JsonColumn = "Json";
    internal const string GzipPartsColumn = "JsonGzipParts";
    internal const string GzipColumnPrefix = "JsonGzip";

    /// <summary>Below the 32,768-character string limit, leaving room for surrogate pairs counted as two.</summary>
    internal const int MaxInlineChars = 30_000;

    /// <summary>Below the 65,536-byte binary property limit.</summary>
    internal const int PartBytes = 64_000;

    /// <summary>15 × 64,000 bytes keeps the entity under 1 MiB with room for the query columns.</summary>
    internal const int MaxParts = 15;

    public static void Write(TableEntity entity, string json)
    {
        if (json.Length <= MaxInlineChars)
        {
            entity[JsonColumn] = json;
            return;
        }

        var compressed = Compress(json);
        var parts = (compressed.Length + PartBytes - 1) / PartBytes;
        if (parts > MaxParts)
        {
            throw new InvalidOperationException(
                $"Row {entity.PartitionKey}/{entity.RowKey} is too large for Table Storage: {json.Length} characters of JSON, " +
                $"{compressed.Length} bytes gzipped; at most {MaxParts * PartBytes} bytes fit in one entity.");
        }

        entity[GzipPartsColumn] = parts;
        for (var i = 0; i < parts; i++)
        {
            var start = i * PartBytes;
            entity[GzipColumnPrefix + i] = compressed.AsSpan(start, Math.Min(PartBytes, compressed.Length - start)).ToArray();
        }
    }

    public static string Read(TableEntity entity)
    {
        if (entity.GetString(JsonColumn) is { } json)
        {
            return json;
        }

        var parts = entity.GetInt32(GzipPartsColumn)
            ?? throw new InvalidDataException($"Row {entity.PartitionKey}/{entity.RowKey} holds neither {JsonColumn} nor {GzipPartsColumn}.");
        using var compressed = new MemoryStream();
        for (var i = 0; i < parts; i++)
        {
            var part = entity.GetBinary(GzipColumnPrefix + i)
                ?? throw new InvalidDataException($"Row {entity.PartitionKey}/{entity.RowKey} lacks {GzipColumnPrefix}{i} of {parts}.");
            compressed.Write(part);
        }

        compressed.Position = 0;
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static byte[] Compress(string json)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        return output.ToArray();
    }
}
