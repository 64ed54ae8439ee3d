using System.ComponentModel.DataAnnotations;
using SgBridge.Shared.Options;

namespace SgBridge.Tests.Policy;

public class OptionsValidationTests
{
    private static List<string> Errors(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    [Fact]
    public void Policy_NamesTheBadAccount()
    {
        var errors = Errors(new PolicyOptions { AllowedAccounts = "111111111111, 12345" });
        Assert.Contains(errors, e => e.Contains("Policy:AllowedAccounts", StringComparison.Ordinal) && e.Contains("'12345'", StringComparison.Ordinal));
    }

    [Fact]
    public void Policy_Missing_NamesTheSetting() =>
        Assert.Contains(Errors(new PolicyOptions()), e => e.Contains("Policy:AllowedAccounts", StringComparison.Ordinal));

    [Fact]
    public void Policy_ExemptionMustBeAnArn() =>
        Assert.Contains(Errors(new PolicyOptions { AllowedAccounts = "111111111111", ExemptPrincipalArns = "TerraformRole" }),
            e => e.Contains("Policy:ExemptPrincipalArns", StringComparison.Ordinal));

    [Fact]
    public void Policy_Valid_HasNoErrors() =>
        Assert.Empty(Errors(new PolicyOptions { AllowedAccounts = "111111111111;222222222222", ExemptPrincipalArns = "arn:aws:iam::*:role/ci", AccountAliases = "111111111111=prod" }));

    [Fact]
    public void Aws_RoleArnPatternWithoutPlaceholder_IsRejected() =>
        Assert.Contains(Errors(new AwsOptions { RoleArnPattern = "arn:aws:iam::111111111111:role/X", WebIdentityAudience = "api://x" }),
            e => e.Contains("Aws:RoleArnPattern", StringComparison.Ordinal));

    [Fact]
    public void Aws_WebIdentityNeedsAudience_AssumeRoleNeedsExternalId()
    {
        const string pattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
        Assert.Contains(Errors(new AwsOptions { RoleArnPattern = pattern }), e => e.Contains("Aws:WebIdentityAudience", StringComparison.Ordinal));
        Assert.Contains(Errors(new AwsOptions { RoleArnPattern = pattern, AuthMode = AwsAuthMode.AssumeRole }), e => e.Contains("Aws:ExternalId", StringComparison.Ordinal));
        Assert.Empty(Errors(new AwsOptions { RoleArnPattern = pattern, AuthMode = AwsAuthMode.AssumeRole, ExternalId = "abc" }));
    }

    [Fact]
    public void Aws_RoleArnFor_FillsTheAccount() =>
        Assert.Equal("arn:aws:iam::222222222222:role/R", new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/R" }.RoleArnFor("222222222222"));

    [Theory]
    [InlineData("400.00:00:00", true)]
    [InlineData("1.00:00:00", true)]
    [InlineData("3650.00:00:00", true)]
    [InlineData("23:59:59", false)]
    [InlineData("00:00:00", false)]
    [InlineData("-1.00:00:00", false)]
    public void StorageRetention_IsAtLeastADay_ZeroOrNegativeIsRefused(string retention, bool valid)
    {
        var errors = Errors(new StorageOptions { AccountName = "sgbridgestore", Retention = TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture) });
        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.Contains("Storage:Retention must be at least 1.00:00:00", StringComparison.Ordinal));
        }
        Assert.Equal(TimeSpan.FromDays(400), new StorageOptions().Retention);
    }

    [Fact]
    public void Storage_NeedsExactlyOneConnection()
    {
        Assert.Contains(Errors(new StorageOptions()), e => e.Contains("Storage:ConnectionString", StringComparison.Ordinal));
        Assert.Contains(Errors(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true", AccountName = "x" }), e => e.Contains("exactly one", StringComparison.Ordinal));
        Assert.Empty(Errors(new StorageOptions { AccountName = "sgbridgestore" }));
    }
}
