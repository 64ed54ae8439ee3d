using System.ComponentModel.DataAnnotations;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Tests.Slack.Requests;

public class RequestOptionsTests
{
    private static List<ValidationResult> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData("00:00:00.200", true)]
    [InlineData("00:00:00.199", false)]
    [InlineData("00:00:02.500", true)]
    [InlineData("00:00:02.501", false)]
    [InlineData("00:00:00", false)]
    public void GroupCheckTimeout_MustLeaveRoomInSlacksThreeSeconds(string value, bool valid)
    {
        var errors = Validate(new SlackRequestOptions { GroupCheckTimeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(valid, errors.Count == 0);
        if (!valid)
        {
            Assert.Contains("SlackRequests:GroupCheckTimeout", errors[0].ErrorMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GroupCheckTimeout_DefaultsToTwoSeconds() => Assert.Equal(TimeSpan.FromSeconds(2), new SlackRequestOptions().GroupCheckTimeout);

    [Theory]
    [InlineData("1h,8h,24h,7d,permanent", null)]
    [InlineData("1m", null)]
    [InlineData("366d", null)]
    [InlineData("367d", "'367d'")]
    [InlineData("0h", "'0h'")]
    [InlineData("1w", "'1w'")]
    [InlineData("forever", "'forever'")]
    [InlineData("", "at least one duration")]
    [InlineData("24h,1d", "same duration twice")]
    [InlineData("PERMANENT", null)]
    public void Durations_EdgeValues(string setting, string? error)
    {
        var errors = Validate(new RequestDurationOptions { Durations = setting });
        if (error is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.ErrorMessage!.Contains(error, StringComparison.Ordinal) && e.ErrorMessage.StartsWith("Approvals:Durations", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Durations_MoreThan25Choices_AreRefused()
    {
        var setting = string.Join(',', Enumerable.Range(1, 26).Select(i => $"{i}h"));
        Assert.Contains(Validate(new RequestDurationOptions { Durations = setting }), e => e.ErrorMessage!.Contains("more than 25", StringComparison.Ordinal));
        Assert.Empty(Validate(new RequestDurationOptions { Durations = string.Join(',', Enumerable.Range(1, 25).Select(i => $"{i}h")) }));
    }

    [Fact]
    public void Durations_Choices_KeepTheOrderAndMeanWhatTheySay()
    {
        var choices = new RequestDurationOptions().Choices;
        Assert.Equal(["1h", "8h", "24h", "7d", "permanent"], choices.Select(c => c.Token));
        Assert.Equal([TimeSpan.FromHours(1), TimeSpan.FromHours(8), TimeSpan.FromHours(24), TimeSpan.FromDays(7), (TimeSpan?)null], choices.Select(c => c.Duration));
    }
}
