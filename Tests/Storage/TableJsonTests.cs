using System.Security.Cryptography;
using Azure.Data.Tables;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Storage;

public sealed class TableJsonTests
{
    [Fact]
    public void Write_SmallJson_StoresInlineString()
    {
        var entity = new TableEntity("p", "r");

        TableJson.Write(entity, "{\"a\":1}");

        Assert.Equal("{\"a\":1}", entity.GetString(TableJson.JsonColumn));
        Assert.False(entity.ContainsKey(TableJson.GzipPartsColumn));
        Assert.Equal("{\"a\":1}", TableJson.Read(entity));
    }

    [Fact]
    public void Write_LargeJson_StoresGzipPartsWithinPropertyLimit()
    {
        var entity = new TableEntity("p", "r");
        var json = "\"" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(150_000)) + "\"";

        TableJson.Write(entity, json);

        var parts = entity.GetInt32(TableJson.GzipPartsColumn)!.Value;
        Assert.True(parts > 1);
        Assert.All(Enumerable.Range(0, parts), i => Assert.InRange(entity.GetBinary(TableJson.GzipColumnPrefix + i)!.Length, 1, 65_536));
        Assert.False(entity.ContainsKey(TableJson.JsonColumn));
        Assert.Equal(json, TableJson.Read(entity));
    }

    [Fact]
    public void Write_JsonTooLargeForOneEntity_ThrowsClearError()
    {
        var entity = new TableEntity("p", "r");
        var json = "\"" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(1_000_000)) + "\"";

        var ex = Assert.Throws<InvalidOperationException>(() => TableJson.Write(entity, json));

        Assert.Contains("too large for Table Storage", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RowWithoutJson_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => TableJson.Read(new TableEntity("p", "r")));
    }
}
