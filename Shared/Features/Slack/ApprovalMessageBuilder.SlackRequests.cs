using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

/// <summary>The words for requests asked for in Slack (<see cref="ChangeRequest.Slack"/>): nothing was reverted, the requester said why.</summary>
public static partial class ApprovalMessageBuilder
{
    private static string SlackRequestDidText(ChangeRequest r) =>
        $":inbox_tray: Asked for in Slack by {Mention(r.Slack!.UserId)} {SlackRequestDuration(r.Slack)}: nothing changes in AWS until it is approved.\n"
        + $"*Reason:* {SlackText.Quote(r.Slack.Reason, ChangeRequest.MaxReasonLength)}";

    private static string SlackRequestOpenedReply(ChangeRequest r) =>
        $":inbox_tray: Asked for in Slack by {Mention(r.Slack!.UserId)} {SlackRequestDuration(r.Slack)}. Waiting for an approver.";

    private static string SlackRequestEventField(ChangeRequest r) => $"Slack request {When(r.EventTime)}";

    private static string SlackRequestDuration(SlackOrigin origin) =>
        origin.RequestedFor is { } d ? $"for {RequestModal.Label("", d)}" : "permanently";
}
