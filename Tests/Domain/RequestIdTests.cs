using SgBridge.Shared.Domain;

namespace SgBridge.Tests.Domain;

public class RequestIdTests
{
    [Fact]
    public void For_IsStable_ForTheSameEvent()
    {
        Assert.Equal(RequestId.For("a1b2c3"), RequestId.For("a1b2c3"));
        Assert.NotEqual(RequestId.For("a1b2c3"), RequestId.For("a1b2c4"));
    }

    [Fact]
    public void For_HasTheDocumentedShape()
    {
        var id = RequestId.For("0f6a3cde-1111-2222-3333-444455556666");
        Assert.Matches("^SG-[0-9A-HJKMNP-TV-Z]{8}$", id);
        Assert.True(RequestId.IsWellFormed(id));
    }

    [Fact]
    public void For_LongerIds_ExtendTheShortOne()
    {
        var shortId = RequestId.For("event");
        var longId = RequestId.For("event", 12);
        Assert.StartsWith(shortId, longId, StringComparison.Ordinal);
    }

    [Fact]
    public void For_TenThousandEvents_HaveNoClash()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => RequestId.For(Guid.NewGuid().ToString())).ToHashSet();
        Assert.Equal(10_000, ids.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("SG-")]
    [InlineData("sg-0123456789")]
    [InlineData("SG-ABCDEFGI")]
    [InlineData("SG-ABC'; DROP")]
    public void IsWellFormed_RejectsOtherStrings(string? id) => Assert.False(RequestId.IsWellFormed(id));
}
