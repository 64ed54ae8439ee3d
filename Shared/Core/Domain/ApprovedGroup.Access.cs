namespace SgBridge.Shared.Domain;

/// <summary>Time-bound access in the approved state: expiry and early revoke. Removing access is the safe direction.</summary>
public sealed partial class ApprovedGroup
{
    /// <summary>The later of two expiries, where null (permanent) is the latest.</summary>
    public static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null || b is null ? null : a > b ? a : b;

    /// <summary>The earliest expiry among the approved rules (null: every rule is permanent).</summary>
    public DateTimeOffset? NextExpiry => Rules.Where(r => r.ExpiresAt is not null).Select(r => r.ExpiresAt).Min();

    /// <summary>Takes out every rule whose approval has run out at <paramref name="now"/>; returns what was taken out.</summary>
    public IReadOnlyList<ApprovedRule> RemoveExpired(DateTimeOffset now)
    {
        var due = Rules.Where(r => r.ExpiresAt is { } at && at <= now).ToArray();
        if (due.Length > 0)
        {
            Rules = Rules.Except(due).ToArray();
            UpdatedAt = now;
        }
        return due;
    }

    /// <summary>Takes back the rules with <paramref name="request"/>'s content that a request approved (not baseline, exempt or
    /// first-sight ones).</summary>
    public IReadOnlyList<ApprovedRule> RevokeAccessOf(ChangeRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var granted = request.GrantedRules;
        var gone = Rules.Where(a => a.Origin == ApprovalOrigin.Request && granted.Any(g => a.Rule.SameAccessAs(g))).ToArray();
        if (gone.Length > 0)
        {
            Rules = Rules.Except(gone).ToArray();
            UpdatedAt = now;
        }
        return gone;
    }

    /// <summary>The approved rules that still carry <paramref name="request"/>'s access (by content).</summary>
    public IReadOnlyList<ApprovedRule> AccessOf(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var granted = request.GrantedRules;
        return Rules.Where(a => granted.Any(g => a.Rule.SameAccessAs(g))).ToArray();
    }
}
