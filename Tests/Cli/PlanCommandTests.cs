using SgBridge.Cli;
using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Cli;

/// <summary>`sgbridge plan`: the README's second quick-start command.</summary>
public class PlanCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = CliRun.Sync(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }

    [Fact]
    public void Plan_QuickStartSample_PrintsTheUnderstoodChangeAndTheExactRevert()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("authorize-ssh-from-internet.json"));
        Assert.Equal(0, exit);
        foreach (var expected in new[]
        {
            "AuthorizeSecurityGroupIngress", "111111111111, region eu-west-1", "sg-0123456789abcdef0", "TCP 22 from 0.0.0.0/0 (temporary ssh)",
            "alice@example.com via AWSReservedSSO_AdministratorAccess_0123456789abcdef", "POLICED",
            "ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-0a1b2c3d4e5f60001]",
            "sts:AssumeRoleWithWebIdentity arn:aws:iam::111111111111:role/SgBridgeExecutionRole",
            RequestId.For("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001"),
        })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Plan_BridgeOwnChange_SaysIgnoredAndPlansNoCall()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("by-bridge-role.json"));
        Assert.Equal(0, exit);
        Assert.Contains("IGNORED", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Call 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_Exemption_IsReportedWithItsReason()
    {
        var (_, output, _) = Run("plan", RepoRoot.Sample("by-cloudformation.json"), "--exempt", "arn:aws:iam::*:role/*");
        Assert.Contains("EXEMPT", output, StringComparison.Ordinal);
        Assert.Contains("arn:aws:iam::*:role/*", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_AccountOutsideTheAllowlist_SaysIntakeWouldRefuse_AndPlansNothing()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("authorize-ssh-from-internet.json"), "--allowed-accounts", "222222222222");
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("Intake would answer 403", output, StringComparison.Ordinal);
        Assert.Contains("Account 111111111111 is not in Policy:AllowedAccounts.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ec2:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request that would be opened", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_EgressChange_IsNotPolicedAsTheIntakeAnswers_UnlessPoliceEgress()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("authorize-egress.json"));
        Assert.Equal(0, exit);
        Assert.Contains("Intake would answer 202 and do nothing", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ec2:", output, StringComparison.Ordinal);

        var (policedExit, policed, _) = Run("plan", RepoRoot.Sample("authorize-egress.json"), "--police-egress");
        Assert.Equal(0, policedExit);
        Assert.Contains("ec2:RevokeSecurityGroupEgress", policed, StringComparison.Ordinal);
        Assert.Contains("Intake would answer 202 Accepted", policed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all", "is not JSON")]
    [InlineData("{\"protocol\":\"tcp\"}", "holds a JSON object, not an array of rules")]
    [InlineData("[1]", "rule 1 is not a rule object")]
    [InlineData("[null]", "rule 1 is not a rule object")]
    [InlineData("[{}]", "rule 1 has no \"protocol\"")]
    [InlineData("[{\"protocol\":\"tcp\",\"fromPort\":22,\"toPort\":22}]", "rule 1 has no \"source\"")]
    [InlineData("[{\"protocol\":\"tcp\",\"fromPort\":\"x\"}]", "rule 1:")]
    public void Plan_MalformedApprovedFile_ExitsOneWithOneLineNamingTheFile(string content, string expected)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, content);
        try
        {
            var (exit, output, error) = Run("plan", RepoRoot.Sample("modify-one-rule.json"), "--approved", file);
            Assert.Equal(ExitCodes.Usage, exit);
            Assert.Equal("", output);
            var first = error.Split('\n')[0];
            Assert.StartsWith($"sgbridge plan: --approved: {file}", first, StringComparison.Ordinal);
            Assert.Contains(expected, first, StringComparison.Ordinal);
            Assert.Contains("Fix:", first, StringComparison.Ordinal);
            Assert.DoesNotContain(error.Split('\n'), CliErrors.LooksLikeStackFrame);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Plan_ModifyWithoutSnapshot_FailsClosed_AndWithOneRestores()
    {
        var sample = RepoRoot.Sample("modify-one-rule.json");
        var (_, without, _) = Run("plan", sample);
        Assert.Contains("ec2:RevokeSecurityGroupIngress", without, StringComparison.Ordinal);
        Assert.Contains("previous content unknown", without, StringComparison.Ordinal);

        var snapshot = Path.GetTempFileName();
        File.WriteAllText(snapshot, BridgeJson.Serialize(new[] { new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "admins", "sgr-0a1b2c3d4e5f60001") }));
        var (_, with, _) = Run("plan", sample, "--snapshot", snapshot);
        Assert.Contains("ec2:ModifySecurityGroupRules", with, StringComparison.Ordinal);
        Assert.Contains("TCP 22 from 10.0.0.0/8 (admins)", with, StringComparison.Ordinal);
        File.Delete(snapshot);
    }

    [Fact]
    public void Plan_FailedCall_IsSkippedWithExitZero()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("authorize-failed-duplicate.json"));
        Assert.Equal(0, exit);
        Assert.Contains("Skipped", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_InvalidEvent_ExitsTwoWithTheReason()
    {
        var bad = Path.GetTempFileName();
        File.WriteAllText(bad, "{\"source\":\"aws.s3\"}");
        var (exit, output, _) = Run("plan", bad);
        Assert.Equal(2, exit);
        Assert.Contains("Rejected", output, StringComparison.Ordinal);
        File.Delete(bad);
    }

    [Fact]
    public void Plan_Json_IsMachineReadable()
    {
        var (exit, output, _) = Run("plan", RepoRoot.Sample("authorize-ssh-from-internet.json"), "--json");
        Assert.Equal(0, exit);
        var doc = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal("Police", doc.GetProperty("decision").GetProperty("verdict").GetString());
        Assert.Single(doc.GetProperty("calls").EnumerateArray());
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("plan")]
    [InlineData("plan", "x.json", "--bogus")]
    public void Run_BadUsage_ExitsOneWithUsage(params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.Equal(1, exit);
        Assert.Contains("sgbridge plan", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_EveryShippedSample_Runs()
    {
        foreach (var sample in Directory.GetFiles(Path.Combine(RepoRoot.Path, "samples"), "*.json"))
        {
            var (exit, output, error) = Run("plan", sample);
            Assert.True(exit == 0, $"{Path.GetFileName(sample)}: exit {exit}\n{output}{error}");
        }
    }
}
