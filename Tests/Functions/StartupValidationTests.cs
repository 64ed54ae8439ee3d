using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared;

namespace SgBridge.Tests.Functions;

/// <summary>The app's DI graph as Program.cs builds it: complete when configured, refusing to start when not.</summary>
public class StartupValidationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSgBridge(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        ["Policy:AllowedAccounts"] = "111111111111",
        ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
        ["Aws:WebIdentityAudience"] = "api://sgbridge-aws",
        ["Slack:BotToken"] = "xoxb-x",
        ["Slack:SigningSecret"] = "s",
        ["Slack:ApproversChannel"] = "C1",
        ["Slack:MonitoringChannel"] = "C2",
        ["Slack:ApproverUserIds"] = "U1",
    };

    [Fact]
    public void Start_WithNoSettings_FailsNamingEachMissingSetting()
    {
        using var sp = Build([]);
        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        var all = ex is AggregateException agg ? string.Join("\n", agg.InnerExceptions.Select(e => e.Message)) : ex.Message;
        foreach (var setting in new[] { "Policy:AllowedAccounts", "Aws:RoleArnPattern", "Storage:ConnectionString", "Slack" })
        {
            Assert.Contains(setting, all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Start_WithValidSettings_ResolvesEveryFunction()
    {
        using var sp = Build(Valid());
        sp.GetRequiredService<IStartupValidator>().Validate();
        foreach (var function in new[] { typeof(ReceiveAwsEvent), typeof(RevertChange), typeof(ReceiveSlackInteraction), typeof(ApplyApproved), typeof(NotifySlack), typeof(ExpireStaleRequests) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(sp, function));
        }
    }

    [Fact]
    public void Start_WithABadAccountId_NamesIt()
    {
        var settings = Valid();
        settings["Policy:AllowedAccounts"] = "111111111111,prod";
        using var sp = Build(settings);
        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("'prod'", ex.ToString(), StringComparison.Ordinal);
    }
}
