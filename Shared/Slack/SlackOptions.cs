using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Slack;

public sealed class SlackOptions
{
    public const string SectionName = "Slack";

    /// <summary>The default and the upper bound Slack documents for the request timestamp window.</summary>
    public static readonly TimeSpan MaxRequestTimestampTolerance = TimeSpan.FromMinutes(5);

    private static readonly char[] ListSeparators = [',', ';', ' ', '\t', '\r', '\n'];

    [Required(ErrorMessage = "Slack:BotToken is required.")]
    public string BotToken { get; set; } = "";

    [Required(ErrorMessage = "Slack:SigningSecret is required.")]
    public string SigningSecret { get; set; } = "";

    [Required(ErrorMessage = "Slack:ApproversChannel is required.")]
    public string ApproversChannel { get; set; } = "";

    [Required(ErrorMessage = "Slack:MonitoringChannel is required.")]
    public string MonitoringChannel { get; set; } = "";

    /// <summary>Slack user ids (U…/W…), separated by commas or spaces.</summary>
    public string? ApproverUserIds { get; set; }

    /// <summary>Slack user group ids (S…), separated by commas.</summary>
    public string? ApproverUserGroupIds { get; set; }

    public string BaseUrl { get; set; } = "https://slack.com/api/";

    /// <summary>How far X-Slack-Request-Timestamp may be from now, either way.</summary>
    public TimeSpan RequestTimestampTolerance { get; set; } = MaxRequestTimestampTolerance;

    /// <summary>Retries after HTTP 429 or 5xx before the client gives up.</summary>
    [Range(0, 10, ErrorMessage = "Slack:MaxRetries must be between 0 and 10.")]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First backoff after a 5xx (doubled on each retry), and the wait after a 429 without Retry-After.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A 429 asking to wait longer than this fails at once, so the queue retries later instead of blocking.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Changes by the same requester on the same group within this window share one approvers' message and one
    /// monitoring message (a burst stays readable and within Slack's ~1 message/second/channel). Zero: one message each.
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many changes share a message (Slack allows 50 blocks; each change takes two).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 20)]
    public int BatchMaxSize { get; set; } = 10;

    /// <summary>
    /// Changes joining a shared message are gathered for this long, then shown with one chat.update per channel
    /// (chat.update is rate limited too, at about 50 a minute).
    /// </summary>
    public TimeSpan BatchRenderDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After a decision on a shared message, it is updated this soon (decisions are few and people wait for them).</summary>
    public TimeSpan BatchDecisionRenderDelay { get; set; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<string> GetApproverUserIds() => SplitList(ApproverUserIds);

    public IReadOnlyList<string> GetApproverUserGroupIds() => SplitList(ApproverUserGroupIds);

    private static string[] SplitList(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? []
            : value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.Ordinal)
                .ToArray();
}
