using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>The reason the requester of a reverted change gave in Slack (plain text as typed; escaped where rendered).</summary>
public sealed record RequesterReason(string Text, string SlackUserId, DateTimeOffset At, int Revision = 1);

public sealed partial class ChangeRequest
{
    /// <summary>The longest reason kept (characters); the modal's max_length says the same.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>
    /// When the requester was asked (a DM) for a reason, on rows written before 2026-11-30; read so those are not asked
    /// again. The bridge no longer writes it: the request's Slack membership insert is the "ask once" claim
    /// (<c>NotificationService</c>), which saves a read and a write of the request per reverted event.
    /// </summary>
    [JsonInclude] public DateTimeOffset? ReasonAskedAt { get; private set; }

    /// <summary>The requester's reason for a reverted change (null: none given).</summary>
    [JsonInclude] public RequesterReason? RequesterReason { get; private set; }

    /// <summary>A reverted change waiting for approvers whose requester may be asked why: not a Slack request (which has its reason), not asked yet.</summary>
    public bool WantsReason => Status == RequestStatus.Pending && Slack is null && Revert is { Succeeded: true } && ReasonAskedAt is null;

    /// <summary>Records that the requester was asked (the field of earlier rows; not called by the bridge). False: asked already, or nothing to ask about.</summary>
    public bool MarkReasonAsked(DateTimeOffset now)
    {
        if (!WantsReason)
        {
            return false;
        }
        ReasonAskedAt = now;
        UpdatedAt = now;
        return true;
    }

    /// <summary>
    /// Stores the requester's reason (trimmed, non-empty, at most <see cref="MaxReasonLength"/>); a second reason replaces
    /// the first (its <see cref="RequesterReason.Revision"/> counts up). Only while Pending: throws <see cref="RequestStateException"/> otherwise.
    /// </summary>
    public void RecordReason(string text, string slackUserId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(slackUserId);
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw new ArgumentException("reason: give a reason (it is empty).", nameof(text));
        }
        if (trimmed.Length > MaxReasonLength)
        {
            throw new ArgumentException($"reason: at most {MaxReasonLength} characters (it has {trimmed.Length}).", nameof(text));
        }
        if (Status != RequestStatus.Pending)
        {
            throw new RequestStateException($"{Id} is {Status}: a reason is taken only while it waits for approvers.");
        }
        RequesterReason = new RequesterReason(trimmed, slackUserId, now, (RequesterReason?.Revision ?? 0) + 1);
        UpdatedAt = now;
    }
}
