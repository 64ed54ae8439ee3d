using System.ComponentModel.DataAnnotations;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Slack;

public class SlackOptionsValidatorTests
{
    private readonly SlackOptionsValidator _validator = new();

    [Fact]
    public void Validate_CompleteOptions_Succeeds()
    {
        var result = _validator.Validate(null, SlackTestOptions.Create());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_NoApproverUsersOrGroups_FailsNamingBothSettings()
    {
        var options = SlackTestOptions.Create(o =>
        {
            o.ApproverUserIds = " , ";
            o.ApproverUserGroupIds = null;
        });

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Slack:ApproverUserIds or Slack:ApproverUserGroupIds must list at least one approver", result.FailureMessage);
    }

    [Fact]
    public void Validate_OnlyUserGroup_Succeeds()
    {
        var options = SlackTestOptions.Create(o =>
        {
            o.ApproverUserIds = "";
            o.ApproverUserGroupIds = "S0604QSJC";
        });

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("slack.com/api/")]
    [InlineData("/api/")]
    [InlineData("ftp://slack.com/api/")]
    [InlineData("")]
    public void Validate_BaseUrlNotAbsoluteHttp_FailsNamingSetting(string baseUrl)
    {
        var result = _validator.Validate(null, SlackTestOptions.Create(o => o.BaseUrl = baseUrl));

        Assert.True(result.Failed);
        Assert.Contains("Slack:BaseUrl must be an absolute http or https URL", result.FailureMessage);
    }

    [Theory]
    [InlineData("http://localhost:5000/api/")]
    [InlineData("https://slack.com/api")]
    public void Validate_BaseUrlAbsoluteHttp_Succeeds(string baseUrl)
    {
        Assert.True(_validator.Validate(null, SlackTestOptions.Create(o => o.BaseUrl = baseUrl)).Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(301)]
    public void Validate_ToleranceOutsideZeroToFiveMinutes_FailsNamingSetting(int seconds)
    {
        var options = SlackTestOptions.Create(o => o.RequestTimestampTolerance = TimeSpan.FromSeconds(seconds));

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Slack:RequestTimestampTolerance", result.FailureMessage);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEach()
    {
        var options = SlackTestOptions.Create(o =>
        {
            o.ApproverUserIds = null;
            o.BaseUrl = "nope";
        });

        var result = _validator.Validate(null, options);

        Assert.Equal(2, result.Failures!.Count());
    }

    [Theory]
    [InlineData("U111,U222", new[] { "U111", "U222" })]
    [InlineData("U111 U222", new[] { "U111", "U222" })]
    [InlineData(" U111 ,  U222,,U111 ", new[] { "U111", "U222" })]
    [InlineData("U111\nU222;U333", new[] { "U111", "U222", "U333" })]
    [InlineData("", new string[0])]
    [InlineData(null, new string[0])]
    public void GetApproverUserIds_SeparatedList_ReturnsDistinctTrimmedIds(string? configured, string[] expected)
    {
        var options = new SlackOptions { ApproverUserIds = configured };

        Assert.Equal(expected, options.GetApproverUserIds());
    }

    [Fact]
    public void GetApproverUserGroupIds_CommaSeparated_ReturnsIds()
    {
        var options = new SlackOptions { ApproverUserGroupIds = "S0604QSJC, S0999" };

        Assert.Equal(["S0604QSJC", "S0999"], options.GetApproverUserGroupIds());
    }

    [Fact]
    public void DataAnnotations_RequiredSettingsMissing_NameEachSetting()
    {
        var options = new SlackOptions();
        var results = new List<ValidationResult>();

        var valid = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.False(valid);
        var messages = results.Select(r => r.ErrorMessage).ToArray();
        Assert.Contains("Slack:BotToken is required.", messages);
        Assert.Contains("Slack:SigningSecret is required.", messages);
        Assert.Contains("Slack:ApproversChannel is required.", messages);
        Assert.Contains("Slack:MonitoringChannel is required.", messages);
    }

    [Fact]
    public void Defaults_Always_MatchSlackDocumentation()
    {
        var options = new SlackOptions();

        Assert.Equal("https://slack.com/api/", options.BaseUrl);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RequestTimestampTolerance);
        Assert.Equal(3, options.MaxRetries);
    }

    [Theory]
    [InlineData("arn:aws:iam::*:role/deploy-*")]
    [InlineData("arn:aws:iam::*:role/deploy-*=alice")]
    [InlineData("=U0ALICE")]
    public void Validate_MalformedRequesterMapEntry_Fails(string entry)
    {
        var options = SlackTestOptions.Create(o => o.RequesterMap = "arn:aws:iam::*:user/bob=U0BOB, " + entry);
        var result = _validator.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("Slack:RequesterMap", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RequesterMap_ParsesPatternsAndUsers()
    {
        var options = SlackTestOptions.Create(o => o.RequesterMap = "arn:aws:iam::*:user/bob=U0BOB;\narn:aws:sts::*:assumed-role/Admin/*=W0ADMIN");
        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.Equal([("arn:aws:iam::*:user/bob", "U0BOB"), ("arn:aws:sts::*:assumed-role/Admin/*", "W0ADMIN")], options.GetRequesterMap());
    }
}
