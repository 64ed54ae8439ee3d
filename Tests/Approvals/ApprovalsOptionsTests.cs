using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared;
using SgBridge.Shared.Options;

namespace SgBridge.Tests.Approvals;

/// <summary>Approvals:Durations: the default, each unit, and every way it can be wrong, checked at start-up with the setting named.</summary>
public class ApprovalsOptionsTests
{
    private static ApprovalsOptions Start(string? durations)
    {
        var settings = new Dictionary<string, string?>();
        if (durations is not null)
        {
            settings["Approvals:Durations"] = durations;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddValidatedOptions<ApprovalsOptions>(configuration, ApprovalsOptions.SectionName);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ApprovalsOptions>>().Value;
    }

    [Fact]
    public void Default_OffersOneHourToSevenDaysAndPermanent()
    {
        var choices = Start(null).GetChoices();

        Assert.Equal(["1h", "8h", "24h", "7d", "permanent"], choices.Select(c => c.Label));
        Assert.Equal([TimeSpan.FromHours(1), TimeSpan.FromHours(8), TimeSpan.FromHours(24), TimeSpan.FromDays(7), (TimeSpan?)null], choices.Select(c => c.Length));
    }

    [Theory]
    [InlineData("1m", 1)]
    [InlineData("90m", 90)]
    [InlineData("2h", 120)]
    [InlineData("1d", 1440)]
    [InlineData("2w", 20160)]
    [InlineData("366d", 527040)]
    public void EachUnit_IsRead(string value, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), Assert.Single(Start(value).GetChoices()).Length);
    }

    [Fact]
    public void OnlyPermanent_IsAllowed()
    {
        Assert.True(Assert.Single(Start("permanent").GetChoices()).IsPermanent);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    [InlineData("  ")]
    public void Empty_IsTheDefault(string value)
    {
        Assert.Equal(["1h", "8h", "24h", "7d", "permanent"], Start(value).GetChoices().Select(c => c.Label));
    }

    [Fact]
    public void WhitespaceAndCase_DoNotMatter_LabelsAreLowerCase()
    {
        var choices = Start(" 1H ,\t8h ;  PERMANENT ").GetChoices();

        Assert.Equal(["1h", "8h", "permanent"], choices.Select(c => c.Label));
        Assert.Equal([TimeSpan.FromHours(1), TimeSpan.FromHours(8), (TimeSpan?)null], choices.Select(c => c.Length));
    }

    [Theory]
    [InlineData("1x", "unit 'x'")]
    [InlineData("h", "not a duration")]
    [InlineData("1.5h", "not a duration")]
    [InlineData("-1h", "not a duration")]
    [InlineData("0h", "zero")]
    [InlineData("367d", "longer than 366 days")]
    [InlineData("8h,1h", "increasing order")]
    [InlineData("24h,1d", "duplicates")]
    [InlineData("1h,1h", "duplicates")]
    [InlineData("60m,1h", "duplicates")]
    [InlineData("1H,1h", "duplicates")]
    [InlineData("0m", "zero")]
    [InlineData("53w", "longer than 366 days")]
    [InlineData("permanent,1h", "must come last")]
    [InlineData("1h,permanent,permanent", "must come last")]
    public void Invalid_FailsAtStartNamingTheSetting(string value, string why)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Start(value));

        Assert.Contains("Approvals:Durations", ex.Message, StringComparison.Ordinal);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
        // The bad entry is named: the last item given is the one at fault in each case above.
        Assert.Contains($"\"{value.Split(',')[^1].Trim()}\"", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheBridgeRegistersOneParserAndOneValidation_ForTheApproversAndTheModal()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Approvals:Durations"] = "1h,1x" }).Build();
        var services = new ServiceCollection();
        services.AddSgBridge(configuration);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ApprovalsOptions>>().Value);

        // One failure, not one per consumer: the setting, the bad entry and what to write instead.
        Assert.Contains("Approvals:Durations: \"1x\" has the unit 'x'; use m, h, d or w", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void AtMostWhatAnActionsBlockHolds()
    {
        var fits = string.Join(',', Enumerable.Range(1, ApprovalsOptions.MaxDurations).Select(h => $"{h}h"));
        var tooMany = string.Join(',', Enumerable.Range(1, ApprovalsOptions.MaxDurations + 1).Select(h => $"{h}h"));

        Assert.Equal(ApprovalsOptions.MaxDurations, Start(fits).GetChoices().Count);
        var ex = Assert.Throws<OptionsValidationException>(() => Start(tooMany));
        Assert.Contains("at most 24", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_MatchesAConfiguredLabelOnly()
    {
        var options = Start("1h,8h");

        Assert.Equal(TimeSpan.FromHours(8), options.Find("8H")!.Length);
        Assert.Null(options.Find("permanent"));
        Assert.Null(options.Find("60m"));
        Assert.Null(options.Find(null));
    }

    [Theory]
    [InlineData("ExpiryTable", "1bad", "Approvals:ExpiryTable")]
    [InlineData("ExpiryBatchSize", "0", "Approvals:ExpiryBatchSize")]
    [InlineData("ExpiryBatchSize", "1001", "Approvals:ExpiryBatchSize")]
    public void OtherSettings_AreValidatedToo(string name, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Approvals:" + name] = value }).Build();
        var services = new ServiceCollection();
        services.AddValidatedOptions<ApprovalsOptions>(configuration, ApprovalsOptions.SectionName);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ApprovalsOptions>>().Value);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
