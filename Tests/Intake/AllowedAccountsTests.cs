using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

/// <summary>Policy:AllowedAccounts as a list of ids, or '*' (every account: the organisation-gated event bus is the allow-list).</summary>
public class AllowedAccountsTests
{
    private static List<string> Errors(PolicyOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    [InlineData("*\n")]
    [InlineData("111111111111")]
    [InlineData("111111111111, 222222222222")]
    public void Validate_StarAloneOrIds_IsValid(string setting) =>
        Assert.Empty(Errors(new PolicyOptions { AllowedAccounts = setting }));

    [Theory]
    [InlineData("*, 111111111111")]
    [InlineData("111111111111;*")]
    [InlineData("*,*")]
    public void Validate_StarMixedWithIds_IsAnErrorNamingTheSetting(string setting)
    {
        var error = Assert.Single(Errors(new PolicyOptions { AllowedAccounts = setting }));
        Assert.StartsWith("Policy:AllowedAccounts mixes '*'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("**")]
    [InlineData("1111*")]
    [InlineData("all")]
    public void Validate_OtherWildcards_AreNotAccountIds(string setting) =>
        Assert.Contains(Errors(new PolicyOptions { AllowedAccounts = setting }), e => e.Contains($"'{setting}'", StringComparison.Ordinal));

    [Theory]
    [InlineData("*", "111111111111", true)]
    [InlineData("*", "999999999999", true)]
    [InlineData("*", "*", false)] // '*' is a setting, never an account
    [InlineData("*", "", false)]
    [InlineData("*", null, false)]
    [InlineData("*", "12345", false)]
    [InlineData("*", "1111111111111", false)]
    [InlineData("*", "111111111111\n", false)]
    [InlineData("*", "11111111111a", false)]
    [InlineData("111111111111,222222222222", "222222222222", true)]
    [InlineData("111111111111,222222222222", "333333333333", false)]
    [InlineData("111111111111,222222222222", "*", false)]
    [InlineData("111111111111", " 111111111111", false)]
    [InlineData("", "111111111111", false)]
    public void AllowsAccount_HonoursTheSetting(string setting, string? account, bool allowed)
    {
        var options = new PolicyOptions { AllowedAccounts = setting };

        Assert.Equal(allowed, options.AllowsAccount(account));
        Assert.Equal(allowed, new ChangePolicy(O.Create(options), O.Create(new AwsOptions())).IsAllowedAccount(account!));
    }

    [Fact]
    public void AllowsAccount_FollowsAChangedSetting()
    {
        var options = new PolicyOptions { AllowedAccounts = "111111111111" };
        Assert.False(options.AllowsAccount("222222222222"));

        options.AllowedAccounts = "*";

        Assert.True(options.AllowsAccount("222222222222"));
        Assert.True(options.AllowsEveryAccount);
    }

    [Fact]
    public async Task Intake_WithStar_QueuesAnEventOfAnyAccount()
    {
        var queue = new RecordingQueue();
        var policy = O.Create(new PolicyOptions { AllowedAccounts = "*" });
        var intake = new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole" })), queue, policy, new IntakeOptions(), TimeProvider.System);
        var root = JsonNode.Parse(File.ReadAllText(RepoRoot.Sample("authorize-ssh-from-internet.json")))!.AsObject();
        root["account"] = "987654321098";
        root["detail"]!["recipientAccountId"] = "987654321098";

        var result = await intake.AcceptAsync(System.Text.Encoding.UTF8.GetBytes(root.ToJsonString()), "application/json", CancellationToken.None);

        Assert.Equal(202, result.StatusCode);
        Assert.Single(queue.Sent);
    }
}
