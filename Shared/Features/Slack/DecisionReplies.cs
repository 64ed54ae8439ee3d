using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

/// <summary>The private (ephemeral) replies to a click, with the other message texts: short, escaped, within the top-level text limit.</summary>
public static class DecisionReplies
{
    public static string Unknown(string requestId) => $"Request {requestId} does not exist.";

    public static string NotOnThisMessage(string requestId) =>
        $"This button does not belong to the message that shows {requestId}, so nothing was changed. Use the buttons on that request's own message.";

    public static string Unverified(string requestId) =>
        $"Slack did not confirm who you are in time, so {requestId} is unchanged. Please try again.";

    /// <summary>The click could not be completed before any decision was written (storage or Slack down or slow): nothing was recorded.</summary>
    public static string NotRecorded(string? requestId) =>
        $"SgBridge could not check your click on {requestId ?? "this request"} in time (its storage or Slack did not answer), so nothing was recorded and nothing changed. Please click again in a minute.";

    /// <summary>The decision's write was sent but its answer did not come in time: it may or may not have been recorded.</summary>
    public static string NotConfirmed(string? requestId) =>
        $"SgBridge could not confirm in time that your decision on {requestId ?? "this request"} was recorded (storage was slow). If it was, this message shows it within two minutes and "
        + "it is carried out; if the message still shows the buttons, click again.";

    public static string NotAnApprover(string requestId) => $"You are not an approver for {requestId}: nothing was changed.";

    public static string SelfApproval(string requestId) =>
        $"You made this change, so you cannot approve {requestId} yourself: another approver has to.";

    public static string UnresolvedBlocked(string requestId) =>
        $"The requester of {requestId} cannot be matched to a Slack user, so approving it here is blocked (Slack:UnresolvedRequester=Block). Deny it, or add the requester to Slack:RequesterMap.";

    public static string FirstOfTwoApprovals(string requestId) =>
        $"Your approval of {requestId} is recorded. Its requester cannot be matched to a Slack user, so a second approver has to approve it too.";

    public static string SameApproverAgain(string requestId) =>
        $"You already approved {requestId}; its requester cannot be matched to a Slack user, so a different approver has to approve it too.";

    public static string AlreadyDecided(ChangeRequest request)
    {
        var decided = request.DecidedBy is null ? "" : $" (decided by {ApprovalMessageBuilder.Mention(request.DecidedBy)}"
            + (request.DecidedAt is { } t ? " " + ApprovalMessageBuilder.When(t) : "") + ")";
        return SlackText.Truncate($"{request.Id} is already {ApprovalMessageBuilder.StatusWords(request.Status)}{decided}.", SlackLimits.TopLevelText);
    }

    public static string BatchDecided(bool approve, int decided, IReadOnlyList<ChangeRequest> skipped)
    {
        var verb = approve ? "Approved" : "Denied";
        if (skipped.Count == 0)
        {
            return $"{verb} {decided} change{(decided == 1 ? "" : "s")}.";
        }
        var list = SlackText.Lines(null, skipped.Select(s => $"{s.Id} ({s.Status.ToString().ToLowerInvariant()})").ToList(), SlackLimits.TopLevelText - 100);
        return $"{verb} {decided}; already decided: {list.Replace("\n", ", ", StringComparison.Ordinal)}.";
    }
}
