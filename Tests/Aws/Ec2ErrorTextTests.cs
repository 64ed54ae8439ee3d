using SgBridge.Shared.Aws;

namespace SgBridge.Tests.Aws;

public sealed class Ec2ErrorTextTests
{
    [Theory]
    [InlineData("InvalidPermission.Duplicate", "already exists")]
    [InlineData("Client.InvalidPermission.Duplicate", "already exists")]
    [InlineData("InvalidGroup.NotFound", "does not exist")]
    [InlineData("UnauthorizedOperation", "not allowed")]
    [InlineData("SomethingNew", "SomethingNew")]
    public void Explain_ReturnsReadableReason(string code, string expected) =>
        Assert.Contains(expected, Ec2ErrorText.Explain(code), StringComparison.Ordinal);

    [Theory]
    [InlineData("InvalidPermission.NotFound", 400, true)]
    [InlineData("RulesPerSecurityGroupLimitExceeded", 400, true)]
    [InlineData("RequestLimitExceeded", 503, false)]
    [InlineData("RequestLimitExceeded", 400, false)]
    [InlineData("InternalError", 500, false)]
    [InlineData("Unavailable", 503, false)]
    public void IsPermanent_SeparatesPermanentFromTransient(string code, int status, bool expected) =>
        Assert.Equal(expected, Ec2ErrorText.IsPermanent(code, status));
}
