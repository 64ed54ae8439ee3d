using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;

namespace SgBridge.Tests.Intake;

/// <summary>Intake:RevertInline and Intake:InlineBudget: their edges, and the sum with Intake:EnqueueTimeout inside EventBridge's 5 s.</summary>
public sealed class IntakeOptionsTests
{
    private static List<ValidationResult> Validate(IntakeOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new(options), results, validateAllProperties: true);
        return results;
    }

    private static TimeSpan T(string value) => TimeSpan.Parse(value, CultureInfo.InvariantCulture);

    [Fact]
    public void Defaults_RevertInlineWithinFourSecondsInAll()
    {
        var options = new IntakeOptions();

        Assert.True(options.RevertInline);
        Assert.Empty(Validate(options));
        Assert.True(options.InlineBudget + options.EnqueueTimeout <= IntakeOptions.MaxAnswer);
    }

    [Theory]
    [InlineData("00:00:00.099", false)]
    [InlineData("00:00:00.100", true)]
    [InlineData("00:00:01.500", true)]
    [InlineData("00:00:03.500", true)]
    [InlineData("00:00:03.501", false)]
    public void InlineBudget_Edges(string value, bool valid)
    {
        // EnqueueTimeout at its minimum so that only the budget's own range decides.
        var results = Validate(new IntakeOptions { InlineBudget = T(value), EnqueueTimeout = T("00:00:00.100") });

        Assert.Equal(valid, results.Count == 0);
        if (!valid) Assert.Contains("Intake:InlineBudget", results[0].ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:01.500", "00:00:02.500", true, true)]   // 4.0 s: the edge
    [InlineData("00:00:01.501", "00:00:02.500", true, false)]  // 4.001 s
    [InlineData("00:00:03.500", "00:00:00.500", true, true)]
    [InlineData("00:00:03.500", "00:00:04", true, false)]
    [InlineData("00:00:03.500", "00:00:04", false, true)]      // inline off: the budget is not spent
    public void InlinePlusEnqueue_StaysInsideEventBridgesFiveSeconds(string budget, string enqueue, bool inline, bool valid)
    {
        var results = Validate(new IntakeOptions { RevertInline = inline, InlineBudget = T(budget), EnqueueTimeout = T(enqueue) });

        Assert.Equal(valid, results.Count == 0);
        if (!valid)
        {
            Assert.Contains("Intake:InlineBudget", results[0].ErrorMessage, StringComparison.Ordinal);
            Assert.Contains("Intake:EnqueueTimeout", results[0].ErrorMessage, StringComparison.Ordinal);
        }
    }

    private static ServiceProvider Build(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
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
        foreach (var (k, v) in extra) settings[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSgBridge(configuration);
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("true", "00:00:02", true)]
    [InlineData("false", "00:00:02", false)]
    public void Start_BindsTheSettings(string inline, string budget, bool expected)
    {
        using var sp = Build(new() { ["Intake:RevertInline"] = inline, ["Intake:InlineBudget"] = budget, ["Intake:EnqueueTimeout"] = "00:00:01" });
        sp.GetRequiredService<IStartupValidator>().Validate();

        var options = sp.GetRequiredService<IOptions<IntakeOptions>>().Value;
        Assert.Equal((expected, T(budget)), (options.RevertInline, options.InlineBudget));
        Assert.NotNull(sp.GetRequiredService<EventIntake>());
    }

    [Fact]
    public void Start_InlineBudgetTooLongForTheEnqueueTimeout_FailsNamingBoth()
    {
        using var sp = Build(new() { ["Intake:InlineBudget"] = "00:00:03" });

        var ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Intake:InlineBudget", ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("Intake:EnqueueTimeout", ex.ToString(), StringComparison.Ordinal);
    }
}
