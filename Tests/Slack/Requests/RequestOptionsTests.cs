using System.ComponentModel.DataAnnotations;
using SgBridge.Shared.Options;
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
    [InlineData(null, new[] { "1h", "8h", "24h", "7d", "permanent" })]
    [InlineData("", new[] { "1h", "8h", "24h", "7d", "permanent" })]
    [InlineData(" 30M , 2h,PERMANENT ", new[] { "30m", "2h", "permanent" })]
    [InlineData("permanent", new[] { "permanent" })]
    [InlineData("2w", new[] { "2w" })]
    public void Durations_TheModalOffersExactlyWhatTheApproversAreOffered(string? setting, string[] labels)
    {
        var approvals = new ApprovalsOptions { Durations = setting! };
        var rig = new RequestRig();
        rig.Durations.Durations = setting!;

        // The modal's choices, the form check and the approvers' buttons all come from ApprovalsOptions.ParseDurations.
        Assert.Equal(labels, approvals.GetChoices().Select(c => c.Label));
        foreach (var label in labels)
        {
            var form = RequestRig.ValidForm();
            form[RequestBlocks.Duration] = label;
            var check = new RequestFormValidator(rig.Bridge.Policy, rig.Durations).Check(form);
            Assert.True(check.IsValid, label);
            Assert.Equal(approvals.Find(label)!.Length, check.Form!.Duration);
        }
        var notOffered = RequestRig.ValidForm();
        notOffered[RequestBlocks.Duration] = labels.Contains("8h") ? "9h" : "8h";
        Assert.Contains("Choose one of: " + string.Join(", ", labels), new RequestFormValidator(rig.Bridge.Policy, rig.Durations).Check(notOffered).Errors[RequestBlocks.Duration], StringComparison.Ordinal);
    }
}
