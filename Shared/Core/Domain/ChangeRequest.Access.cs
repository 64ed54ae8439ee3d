using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>How a time-bound approval's access ended.</summary>
public enum AccessEndReason
{
    /// <summary>The approved duration ran out.</summary>
    Expired,
    /// <summary>An approver took the access back before it ran out.</summary>
    Revoked,
}

/// <summary>Time-bound access: when it ends, how it ended, and the extension requests that ask for more.</summary>
public sealed partial class ChangeRequest
{
    /// <summary>When the access an approval grants ends: decision time + <see cref="ApprovedFor"/> (null: permanent or not approved).</summary>
    public DateTimeOffset? AccessUntil => ApprovedFor is { } d && DecidedAt is { } at ? at + d : null;

    [JsonInclude] public AccessEndReason? AccessEndReason { get; private set; }
    [JsonInclude] public DateTimeOffset? AccessEndedAt { get; private set; }

    /// <summary>Who revoked the access early (a Slack user id); null when it expired.</summary>
    [JsonInclude] public string? AccessEndedBy { get; private set; }

    /// <summary>An extension request: the id of the request whose access it extends.</summary>
    [JsonInclude] public string? ExtendsRequestId { get; private set; }

    /// <summary>An extension request: when the access it extends ends (as it stood when the extension was asked), shown to approvers.</summary>
    [JsonInclude] public DateTimeOffset? ExtendsAccessUntil { get; private set; }

    /// <summary>Access can end for an approved (applying, applied or failed-to-apply) change that granted access.</summary>
    public bool CanEndAccess => Status is RequestStatus.Approved or RequestStatus.Applied or RequestStatus.ApplyFailed && Kind != ChangeKind.Remove;

    /// <summary>The rules whose access an approval of this request grants (Add: its rules; Modify: the edited content).</summary>
    public IReadOnlyList<SecurityGroupRule> GrantedRules => Kind switch
    {
        ChangeKind.Add => Rules,
        ChangeKind.Modify => Edits.Select(e => e.After).ToArray(),
        _ => [],
    };

    /// <summary>The approved access ended: its rules left the approved state (reconcile revokes them in AWS).</summary>
    public void EndAccess(AccessEndReason reason, string? byUserId, DateTimeOffset now)
    {
        EndAccessQuietly(reason, byUserId, now);
        Raise(EffectKind.AccessEndedNotice, now);
        Raise(EffectKind.AccessEndedDm, now);
        if (reason == Domain.AccessEndReason.Revoked)
        {
            Raise(EffectKind.EndAccessNow, now);
        }
    }

    /// <summary>
    /// The access ran out while an applied extension (<paramref name="extensionId"/>) carried it on: the extension's own
    /// end tells the requester and monitoring, so this grant's end is recorded (and rendered) without notices of its own:
    /// one "Access ended" per access, not one per request of the chain.
    /// </summary>
    public void EndAccessCarriedBy(string extensionId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(extensionId);
        EndAccessQuietly(Domain.AccessEndReason.Expired, null, now);
    }

    private void EndAccessQuietly(AccessEndReason reason, string? byUserId, DateTimeOffset now)
    {
        if (!CanEndAccess)
        {
            throw new RequestStateException($"Cannot end the access of request {Id}: it is {Status} ({Kind}), not an approved grant of access.");
        }
        AccessEndReason = reason;
        AccessEndedAt = now;
        AccessEndedBy = byUserId;
        Move(RequestStatus.AccessEnded, now);
    }

    /// <summary>A request to extend <paramref name="original"/>'s access: same rules, group and requester, Pending at once (nothing to
    /// revert).</summary>
    public static ChangeRequest OpenExtension(string id, ChangeRequest original, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(original);
        if (original.Status != RequestStatus.Applied || original.AccessUntil is null)
        {
            throw new RequestStateException($"Cannot extend request {original.Id}: only applied time-bound access can be extended (it is {original.Status}).");
        }
        var extension = new ChangeRequest
        {
            Id = id,
            EventId = "extend:" + original.Id,
            EventName = "ExtendAccess",
            EventTime = now,
            Status = RequestStatus.Pending,
            Kind = ChangeKind.Add,
            AccountId = original.AccountId,
            Region = original.Region,
            GroupId = original.GroupId,
            GroupName = original.GroupName,
            VpcId = original.VpcId,
            Requester = original.Requester,
            Rules = original.GrantedRules,
            ExtendsRequestId = original.Id,
            ExtendsAccessUntil = original.AccessUntil,
            CreatedAt = now,
            UpdatedAt = now,
        };
        extension.RaiseFor(RequestStatus.Pending, now);
        return extension;
    }
}
