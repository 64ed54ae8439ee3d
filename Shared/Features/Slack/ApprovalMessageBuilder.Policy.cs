using System.Globalization;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

public static partial class ApprovalMessageBuilder
{
    /// <summary>Longest policy reason shown; the whole of it is on the request (`sgbridge requests show`).</summary>
    internal const int PolicyReasonShown = 600;

    /// <summary>The policy file's decision as a context line ("Policy approved for 24h: rule `dev-private` …"); null when none.</summary>
    internal static string? PolicyText(ChangeRequest r)
    {
        if (r.PolicyDecision is not { } d)
        {
            return null;
        }
        var verb = d.Outcome switch
        {
            "approve" => "approved",
            "deny" => "denied",
            _ => "asks an approver",
        };
        var rule = d.Rule is null
            ? "no rule matched"
            : $"rule {SlackText.Code(SlackText.Plain(d.Rule, 64))} ({SlackText.Escape(SlackText.Plain(d.Source, 80))} line {d.Line?.ToString(CultureInfo.InvariantCulture) ?? "?"})";
        var duration = d.Outcome == "approve" ? d.Duration is { } t ? $" for {ApprovalDuration.Format(t)}" : " permanently" : "";
        return SlackText.Truncate($":scroll: *Policy* {verb}{duration}: {rule}. {SlackText.Escape(SlackText.Plain(d.Reason, PolicyReasonShown))}", SlackLimits.SectionText);
    }
}
