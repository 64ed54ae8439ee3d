using System.Text.Json.Nodes;
using SgBridge.Cli;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Cli;

/// <summary>`sgbridge policy test` and `plan --rules`: the deciding rule per change, its line and why; exit codes as docs/cli.md says.</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("policy-cli").FullName;
    private static readonly string Policy = RepoRoot.Sample("policy.yaml");
    private static readonly string Ssh = RepoRoot.Sample("authorize-ssh-from-internet.json");
    private const string Dev = "111111111111=dev";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The SSH sample with its rule changed to <paramref name="port"/> from <paramref name="cidr"/>.</summary>
    private string Event(int port, string cidr)
    {
        var evt = JsonNode.Parse(File.ReadAllText(Ssh))!;
        var detail = evt["detail"]!;
        var item = detail["requestParameters"]!["ipPermissions"]!["items"]![0]!;
        item["fromPort"] = port;
        item["toPort"] = port;
        item["ipRanges"]!["items"]![0]!["cidrIp"] = cidr;
        var created = detail["responseElements"]?["securityGroupRuleSet"]?["items"]?[0];
        if (created is not null)
        {
            created["fromPort"] = port;
            created["toPort"] = port;
            created["cidrIpv4"] = cidr;
        }
        return Write($"event-{port}.json", evt.ToJsonString());
    }

    [Fact]
    public async Task Test_SshFromTheInternet_IsDeniedByTheFirstRule_WithItsLine()
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy, "--account-aliases", Dev);

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Decision: DENY, by rule 'deny-internet-admin-and-db' (policy.yaml line 7)", o, StringComparison.Ordinal);
        Assert.Contains("TCP 22 from 0.0.0.0/0", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_PrivateRangeInADevAccount_IsApprovedFor24h_AndShowsTheSkippedRule()
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Event(8080, "10.20.0.0/16"), "--rules", Policy, "--account-aliases", "111111111111=dev", "--expect", "approve");

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Decision: APPROVE for 1d, by rule 'dev-private-non-admin' (policy.yaml line 18)", o, StringComparison.Ordinal);
        Assert.Contains("skipped 'deny-internet-admin-and-db' (line 7): ports 8080 are not overlapping", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_SettingsFromTheEnvironment_AsTheAppReadsThem_AndAnAliasTheFileNeedsMissing_IsAnError()
    {
        _cli.Environment["Policy__RulesFile"] = Policy;
        var (without, o1, _) = await _cli.RunAsync("policy", "test", Event(8080, "10.20.0.0/16"));
        _cli.Environment["Policy__AccountAliases"] = "111111111111=dev";
        var (with, o2, _) = await _cli.RunAsync("policy", "test", Event(8080, "10.20.0.0/16"));

        Assert.Equal((ExitCodes.Failed, ExitCodes.Success), (without, with));
        Assert.Contains("policy.yaml line 21: account 'dev'", o1, StringComparison.Ordinal);
        Assert.Contains("Decision: APPROVE", o2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_ExpectNotMet_ExitsTwo()
    {
        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy, "--account-aliases", Dev, "--expect", "approve");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("NOT AS EXPECTED: --expect approve", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_AnInvalidPolicy_PrintsEachErrorWithItsLine_AndExitsTwo()
    {
        var bad = Write("bad.yaml", "rules:\n  - name: a\n    when: { ports: [99999] }\n    outcome: deny\n    duration: 1h\n");

        var (exit, o, _) = await _cli.RunAsync("policy", "test", Ssh, "--rules", bad);

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("bad.yaml line 3: port '99999'", o, StringComparison.Ordinal);
        Assert.Contains("bad.yaml line 5: rule 'a' has a duration", o, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("test")]
    public async Task ValidateOrTest_AnUnacknowledgedDangerousApproval_IsRefusedNamingFileLineAndRule_AndAcknowledgedItWarns(string verb)
    {
        const string Risky = "rules:\n  - name: ok\n    when: { ports: [443] }\n    outcome: approve\n  - name: ssh-anywhere\n    when: { ports: [22] }\n    outcome: approve\n";
        var bad = Write("risky.yaml", Risky);
        string[] args = verb == "test" ? ["policy", "test", Ssh, "--rules", bad] : ["policy", "validate", "--rules", bad];

        var (exit, o, e) = await _cli.RunAsync(args);

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("risky.yaml line 5: rule 'ssh-anywhere' approves opening SSH (22) to the whole internet (0.0.0.0/0, ::/0) without a person looking: refused.", o, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", o + e, StringComparison.Ordinal);

        Write("risky.yaml", Risky + "    acknowledge: the bastion; MFA on the host (SEC-42)\n");
        var (acknowledgedExit, _, warnings) = await _cli.RunAsync(args);

        Assert.Equal(ExitCodes.Success, acknowledgedExit);
        Assert.Contains("warning: ", warnings, StringComparison.Ordinal);
        Assert.Contains("risky.yaml:5: rule 'ssh-anywhere' approves opening SSH (22)", warnings, StringComparison.Ordinal);
        Assert.Contains("(acknowledged: the bastion; MFA on the host (SEC-42))", warnings, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_ALogFile_DecidesEachChange_AndSkipsTheRest()
    {
        var record = JsonNode.Parse(File.ReadAllText(Ssh))!["detail"]!.DeepClone();
        var other = new JsonObject { ["eventSource"] = "s3.amazonaws.com", ["eventName"] = "PutObject" };
        var log = Write("log.json", new JsonObject { ["Records"] = new JsonArray(record, other) }.ToJsonString());

        var (exit, o, _) = await _cli.RunAsync("policy", "test", log, "--rules", Policy, "--account-aliases", Dev, "--json");

        Assert.Equal(ExitCodes.Success, exit);
        var json = JsonNode.Parse(o)!;
        Assert.Equal("deny", (string?)json["decisions"]![0]!["decision"]!["outcome"]);
        Assert.Equal(7, (int?)json["decisions"]![0]!["decision"]!["line"]);
        Assert.Equal(2, (int?)json["skipped"]![0]!["record"]);
    }

    [Theory]
    [InlineData(null, "No policy file")]
    [InlineData("missing.yaml", "no such file")]
    public async Task Test_NoPolicyFile_ExitsOne(string? rules, string message)
    {
        var (exit, _, e) = rules is null
            ? await _cli.RunAsync("policy", "test", Ssh)
            : await _cli.RunAsync("policy", "test", Ssh, "--rules", Path.Combine(_dir, rules));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(message, e, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_BadExpect_ExitsOne() =>
        Assert.Equal(ExitCodes.Usage, (await _cli.RunAsync("policy", "test", Ssh, "--rules", Policy, "--expect", "maybe")).Exit);

    [Fact]
    public async Task Plan_WithRules_ShowsTheDecidingRule()
    {
        var (exit, o, _) = await _cli.RunAsync("plan", Ssh, "--rules", Policy, "--account-aliases", Dev);

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Policy file (policy.yaml)", o, StringComparison.Ordinal);
        Assert.Contains("Decision: DENY, by rule 'deny-internet-admin-and-db' (policy.yaml line 7)", o, StringComparison.Ordinal);
        Assert.Contains("Denied by the policy at once", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_WithRules_AnExemptChangeIsNotDecided()
    {
        var (exit, o, _) = await _cli.RunAsync("plan", RepoRoot.Sample("by-service-linked-role.json"), "--rules", Policy, "--account-aliases", Dev);

        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("Not decided by the policy", o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_WithAnInvalidPolicy_ExitsOne_NamingTheLine()
    {
        var bad = Write("bad.json", "{\"rules\": [\n {\"name\": \"a\", \"outcome\": \"allow\"}\n]}");
        var (exit, _, e) = await _cli.RunAsync("plan", Ssh, "--rules", bad);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("bad.json line 2: rule 'a' has outcome 'allow'", e, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_WithoutRules_SaysNothingAboutAPolicy() =>
        Assert.DoesNotContain("Policy file", (await _cli.RunAsync("plan", Ssh)).Out, StringComparison.Ordinal);
}
