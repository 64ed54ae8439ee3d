using System.Reflection;
using Microsoft.Azure.Functions.Worker;
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

    /// <summary>Every function class of the app: each public type with a [Function] method (new functions are covered without a test change).</summary>
    public static IReadOnlyList<Type> FunctionTypes { get; } = typeof(ReceiveAwsEvent).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToList();

    /// <summary>The supported configurations: each AWS auth mode with each way to reach storage, with only the settings that mode documents.</summary>
    public static TheoryData<string, string> SupportedConfigurations
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var auth in (string[])["WebIdentity", "AssumeRole"])
            {
                foreach (var storage in (string[])["ConnectionString", "ManagedIdentity", "UserAssignedIdentity"])
                {
                    data.Add(auth, storage);
                }
            }
            return data;
        }
    }

    private static Dictionary<string, string?> Configuration(string auth, string storage)
    {
        var settings = Valid();
        switch (auth)
        {
            case "WebIdentity":
                settings["Aws:AuthMode"] = "WebIdentity";
                break;
            case "AssumeRole":
                // The documented AssumeRole settings: no web identity audience at all.
                settings["Aws:AuthMode"] = "AssumeRole";
                settings["Aws:ExternalId"] = "sgbridge-external-id";
                settings.Remove("Aws:WebIdentityAudience");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(auth), auth, null);
        }
        switch (storage)
        {
            case "ConnectionString":
                break;
            case "ManagedIdentity":
                settings.Remove("Storage:ConnectionString");
                settings["Storage:AccountName"] = "sgbridgestorage";
                break;
            case "UserAssignedIdentity":
                settings.Remove("Storage:ConnectionString");
                settings["Storage:AccountName"] = "sgbridgestorage";
                settings["Storage:ClientId"] = "00000000-0000-0000-0000-00000000c11d";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(storage), storage, null);
        }
        return settings;
    }

    [Fact]
    public void FunctionTypes_AreDiscoveredByReflection()
    {
        Assert.Contains(typeof(ReceiveAwsEvent), FunctionTypes);
        Assert.Contains(typeof(RevertChange), FunctionTypes);
        Assert.Contains(typeof(PerformEffects), FunctionTypes);
        Assert.True(FunctionTypes.Count >= 6, $"Only {FunctionTypes.Count} function classes found.");
    }

    [Theory]
    [MemberData(nameof(SupportedConfigurations))]
    public void Start_InEverySupportedConfiguration_ConstructsEveryFunction(string auth, string storage)
    {
        using var sp = Build(Configuration(auth, storage));
        sp.GetRequiredService<IStartupValidator>().Validate();

        var failures = new List<string>();
        foreach (var function in FunctionTypes)
        {
            try
            {
                Assert.NotNull(ActivatorUtilities.CreateInstance(sp, function));
            }
            catch (Exception ex)
            {
                failures.Add($"{function.Name}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{auth} + {storage}:\n" + string.Join("\n", failures));
    }

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
    public void Start_AssumeRoleWithoutExternalId_NamesIt()
    {
        var settings = Configuration("AssumeRole", "ConnectionString");
        settings.Remove("Aws:ExternalId");
        using var sp = Build(settings);
        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Aws:ExternalId", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithEveryAccountAllowed_Starts()
    {
        var settings = Valid();
        settings["Policy:AllowedAccounts"] = "*";
        using var sp = Build(settings);
        sp.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void Start_WithStarMixedWithIds_NamesTheSetting()
    {
        var settings = Valid();
        settings["Policy:AllowedAccounts"] = "*,111111111111";
        using var sp = Build(settings);
        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Policy:AllowedAccounts mixes '*'", ex.ToString(), StringComparison.Ordinal);
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
