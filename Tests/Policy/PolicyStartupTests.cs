using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Policy;

/// <summary>The app's own DI graph (AddSgBridge) with Policy:RulesFile: a bad file stops start-up naming the line; a good one reaches the worker.</summary>
public class PolicyStartupTests
{
    private static ServiceProvider Build(string rulesFile, string aliases)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Policy:AllowedAccounts"] = "111111111111",
            ["Policy:AccountAliases"] = aliases,
            ["Policy:RulesFile"] = rulesFile,
            ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
            ["Slack:BotToken"] = "xoxb-x",
            ["Slack:SigningSecret"] = "s",
            ["Slack:ApproversChannel"] = "C1",
            ["Slack:MonitoringChannel"] = "C2",
            ["Slack:ApproverUserIds"] = "U1",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSgBridge(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void AddSgBridge_TheSample_Loads_AndTheWorkerHasTheGate()
    {
        using var provider = Build(RepoRoot.Sample("policy.yaml"), "111111111111=dev");

        Assert.Equal(3, provider.GetRequiredService<PolicyRules>().Current.Rules.Count);
        Assert.NotNull(provider.GetRequiredService<ChangeProcessor>());
        Assert.NotNull(provider.GetRequiredService<PolicyGate>());
    }

    [Fact]
    public void AddSgBridge_ABadFile_RefusesToStart_NamingFileAndLine()
    {
        using var provider = Build(RepoRoot.Sample("policy.yaml"), "111111111111=prod");

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PolicyOptions>>().Value);
        Assert.Contains("Policy:RulesFile: policy.yaml line 21: account 'dev'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSgBridge_AnUnacknowledgedDangerousApproval_RefusesToStart_NamingFileLineAndRule()
    {
        var file = Path.Combine(Path.GetTempPath(), $"risky-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "rules:\n  - name: ssh-anywhere\n    when: { ports: [22] }\n    outcome: approve\n");
        try
        {
            using var provider = Build(file, "111111111111=dev");

            var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PolicyOptions>>().Value);
            Assert.Contains($"{Path.GetFileName(file)} line 2: rule 'ssh-anywhere' approves opening SSH (22) to the whole internet", ex.Message, StringComparison.Ordinal);
            Assert.Contains("acknowledge", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", ex.Message, StringComparison.Ordinal); // no stack trace in what the operator reads

            // The same rule with its acknowledgement starts.
            File.WriteAllText(file, "rules:\n  - name: ssh-anywhere\n    when: { ports: [22] }\n    outcome: approve\n    acknowledge: the bastion; MFA on the host\n");
            using var acknowledged = Build(file, "111111111111=dev");
            Assert.Single(acknowledged.GetRequiredService<PolicyRules>().Current.Rules);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
