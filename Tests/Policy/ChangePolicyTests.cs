using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Policy;

public class ChangePolicyTests
{
    private static ChangePolicy Policy(string exempt = "", bool slr = true) => new(
        O.Create(new PolicyOptions { AllowedAccounts = "111111111111, 222222222222", ExemptPrincipalArns = exempt, ExemptServiceLinkedRoles = slr }),
        O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" }));

    [Fact]
    public void Evaluate_PolicesPeople()
    {
        Assert.Equal(Verdict.Police, Policy().Evaluate(TestData.Change(ChangeKind.Add, requester: TestData.SsoUser())).Verdict);
        Assert.Equal(Verdict.Police, Policy().Evaluate(TestData.Change(ChangeKind.Add, requester: TestData.IamUser())).Verdict);
    }

    [Fact]
    public void Evaluate_BridgeOwnRole_IsIgnored()
    {
        var own = TestData.AssumedRole("arn:aws:iam::111111111111:role/SgBridgeExecutionRole", "sgbridge");
        Assert.Equal(Verdict.BridgeOwn, Policy().Evaluate(TestData.Change(ChangeKind.Remove, requester: own)).Verdict);
    }

    [Fact]
    public void Evaluate_SameRoleNameInAnotherAccount_IsPoliced()
    {
        // The bridge's role is the one in the event's account; a look-alike elsewhere is not the bridge.
        var other = TestData.AssumedRole("arn:aws:iam::999999999999:role/SgBridgeExecutionRole", "sgbridge");
        Assert.Equal(Verdict.Police, Policy().Evaluate(TestData.Change(ChangeKind.Add, requester: other)).Verdict);
    }

    [Fact]
    public void Evaluate_SessionNamedLikeTheBridge_IsPoliced()
    {
        // Decided from the ARN of the role behind the session, not from a name a user can choose.
        var sneaky = TestData.AssumedRole("arn:aws:iam::111111111111:role/Developer", "SgBridgeExecutionRole");
        Assert.Equal(Verdict.Police, Policy().Evaluate(TestData.Change(ChangeKind.Add, requester: sneaky)).Verdict);
    }

    [Fact]
    public void Evaluate_ExemptPattern_MatchesTheRoleBehindTheSession()
    {
        var pipeline = TestData.AssumedRole("arn:aws:iam::111111111111:role/deploy/TerraformPipeline", "build-42");
        var d = Policy("arn:aws:iam::*:role/deploy/*").Evaluate(TestData.Change(ChangeKind.Add, requester: pipeline));
        Assert.Equal(Verdict.Exempt, d.Verdict);
        Assert.Contains("arn:aws:iam::*:role/deploy/*", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ServiceLinkedRole_ExemptByDefault_PolicedWhenConfigured()
    {
        var elb = TestData.AssumedRole("arn:aws:iam::111111111111:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing", "ElasticLoadBalancing");
        Assert.Equal(Verdict.Exempt, Policy().Evaluate(TestData.Change(ChangeKind.Add, requester: elb)).Verdict);
        Assert.Equal(Verdict.Police, Policy(slr: false).Evaluate(TestData.Change(ChangeKind.Add, requester: elb)).Verdict);
    }

    [Fact]
    public void IsAllowedAccount_UsesTheList()
    {
        Assert.True(Policy().IsAllowedAccount("222222222222"));
        Assert.False(Policy().IsAllowedAccount("333333333333"));
    }

    [Theory]
    [InlineData("arn:aws:iam::*:role/Deploy", "arn:aws:iam::111111111111:role/Deploy", true)]
    [InlineData("arn:aws:iam::*:role/Deploy", "arn:aws:iam::111111111111:role/DeployX", false)]
    [InlineData("arn:aws:iam::111111111111:role/*", "arn:aws:iam::111111111111:role/a/b", true)]
    [InlineData("arn:aws:iam::111111111111:user/bo?", "arn:aws:iam::111111111111:user/bob", true)]
    [InlineData("ARN:AWS:IAM::111111111111:ROLE/X", "arn:aws:iam::111111111111:role/x", true)]
    [InlineData("", "arn:aws:iam::1:role/x", false)]
    public void Glob_MatchesArns_IgnoringCase(string pattern, string arn, bool expected) => Assert.Equal(expected, Glob.Matches(pattern, arn, ignoreCase: true));
}
