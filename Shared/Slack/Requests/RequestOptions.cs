using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>Requests from Slack (the /sgbridge modal). App settings: SlackRequests__GroupCheckTimeout.</summary>
public sealed class SlackRequestOptions
{
    public const string SectionName = "SlackRequests";

    /// <summary>
    /// Optional. How long a modal submission waits for AWS to confirm the group exists (assume role + DescribeSecurityGroups).
    /// Slack waits 3 seconds for the answer, so at most 2.5 s. When AWS is slower the modal shows an error asking to
    /// submit again (the look-up carries on, so the retry usually finds the credentials cached); no request is opened
    /// for a group nobody checked.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:02.500", ErrorMessage = "SlackRequests:GroupCheckTimeout must be between 0.2 and 2.5 seconds (Slack waits 3 seconds for a modal's answer).")]
    public TimeSpan GroupCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The durations a requester (and, on branch timebound, an approver) may choose: App setting Approvals__Durations,
/// e.g. "1h,8h,24h,7d,permanent" (the default). Read here through this small class until ApprovalsOptions lands.
/// </summary>
public sealed partial class RequestDurationOptions : IValidatableObject
{
    public const string SectionName = "Approvals";
    public const string Permanent = "permanent";

    public string Durations { get; set; } = "1h,8h,24h,7d,permanent";

    /// <summary>The choices in order: the setting's token and its duration (null: permanent). Invalid tokens are left out (start-up validation names them).</summary>
    public IReadOnlyList<(string Token, TimeSpan? Duration)> Choices =>
        SettingList.Parse(Durations).Select(t => (t, Ok: TryParse(t, out var d), d)).Where(x => x.Ok).Select(x => (x.t, x.d)).ToArray();

    /// <summary>"30m", "1h", "7d" or "permanent" (null).</summary>
    public static bool TryParse(string token, out TimeSpan? duration)
    {
        duration = null;
        if (string.Equals(token, Permanent, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var m = Token().Match(token);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }
        duration = m.Groups[2].Value switch
        {
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
        return duration <= TimeSpan.FromDays(366);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var tokens = SettingList.Parse(Durations);
        if (tokens.Count == 0)
        {
            yield return new ValidationResult("Approvals:Durations must list at least one duration, e.g. 1h,8h,24h,7d,permanent.", [nameof(Durations)]);
        }
        foreach (var t in tokens.Where(t => !TryParse(t, out _)))
        {
            yield return new ValidationResult($"Approvals:Durations has '{t}': write a whole number of minutes, hours or days up to 366 days (30m, 8h, 7d) or 'permanent'.", [nameof(Durations)]);
        }
        if (tokens.Count > 25)
        {
            yield return new ValidationResult("Approvals:Durations lists more than 25 choices.", [nameof(Durations)]);
        }
        foreach (var dup in tokens.GroupBy(t => TryParse(t, out var d) ? d?.Ticks ?? -1 : -2).Where(g => g.Key != -2 && g.Count() > 1))
        {
            yield return new ValidationResult($"Approvals:Durations lists the same duration twice ({string.Join(", ", dup)}).", [nameof(Durations)]);
        }
    }

    [GeneratedRegex(@"\A([0-9]{1,6})([mhd])\z")]
    private static partial Regex Token();
}
