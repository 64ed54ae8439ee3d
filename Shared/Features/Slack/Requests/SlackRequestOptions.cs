using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>Requests from Slack (the /sgbridge modal). App settings: SlackRequests__GroupCheckTimeout.</summary>
public sealed class SlackRequestOptions
{
    public const string SectionName = "SlackRequests";

    /// <summary>
    /// Optional. How long a submission waits for AWS to confirm the group exists; Slack waits 3 s, so at most 2.5 s. When AWS
    /// is slower the modal asks to submit again (the look-up carries on and warms the credentials for the retry).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:02.500", ErrorMessage = "SlackRequests:GroupCheckTimeout must be between 0.2 and 2.5 seconds (Slack waits 3 seconds for a modal's answer).")]
    public TimeSpan GroupCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
