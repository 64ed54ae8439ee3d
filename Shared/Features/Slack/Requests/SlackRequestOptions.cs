using System.ComponentModel.DataAnnotations;

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
