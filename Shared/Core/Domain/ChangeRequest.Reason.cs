using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>The reason the requester of a reverted change gave in Slack (plain text as typed; escaped where rendered).</summary>
public sealed record RequesterReason(string Text, string SlackUserId, DateTimeOffset At, int Revision = 1);

public sealed partial class ChangeRequest
{
    /// <summary>The longest reason kept (characters); the modal's max_length says the same.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The requester's reason for a reverted change (null: none given).</summary>
    [JsonInclude] public RequesterReason? RequesterReason { get; private set; }

    /// <summary>A reverted change waiting for approvers whose requester may be asked why: not a Slack request (which has its reason).</summary>
    public bool WantsReason => Status == RequestStatus.Pending && Slack is null && Revert is { Succeeded: true };

    /// <summary>
    /// Stores the requester's reason (trimmed, non-empty, at most <see cref="MaxReasonLength"/>); a second one replaces it.
    /// Only while Pending: throws <see cref="RequestStateException"/> otherwise.
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
        Raise(EffectKind.Render, now);
    }
}
