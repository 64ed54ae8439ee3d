using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>Where an approved rule came from: the onboarding baseline, a request's approval, an exempt change, first sight.</summary>
public enum ApprovalOrigin
{
    Baseline,
    Request,
    Exempt,
    Adopted,
}

/// <summary>One approved rule: its content, what approved it, and when that ends (<paramref name="ExpiresAt"/>; null: permanent).</summary>
public sealed record ApprovedRule(SecurityGroupRule Rule, ApprovalOrigin Origin, string? RequestId, DateTimeOffset ApprovedAt, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// The rules a group is allowed to hold. Only onboarding, approvals, exempt changes the live group confirms and expiries
/// change it, never a describe taken to "remember" the group. Reconcile makes AWS match it.
/// </summary>
public sealed class ApprovedGroup
{
    [JsonConstructor]
    private ApprovedGroup()
    {
    }

    [JsonInclude] public string AccountId { get; private set; } = "";
    [JsonInclude] public string Region { get; private set; } = "";
    [JsonInclude] public string GroupId { get; private set; } = "";
    [JsonInclude] public string? GroupName { get; private set; }
    [JsonInclude] public string? VpcId { get; private set; }
    [JsonInclude] public IReadOnlyList<ApprovedRule> Rules { get; private set; } = [];

    /// <summary>Request ids whose approval has been written here (so a redelivered apply changes nothing twice).</summary>
    [JsonInclude] public IReadOnlyList<string> AppliedRequests { get; private set; } = [];
    [JsonInclude] public DateTimeOffset CreatedAt { get; private set; }
    [JsonInclude] public DateTimeOffset UpdatedAt { get; private set; }

    public IReadOnlyList<SecurityGroupRule> RuleSet => Rules.Select(r => r.Rule).ToArray();

    /// <summary>A group's approved state as first recorded: from the onboarding baseline or at first sight (Adopt).</summary>
    public static ApprovedGroup Create(string accountId, string region, string groupId, string? groupName, string? vpcId,
        IEnumerable<SecurityGroupRule> rules, ApprovalOrigin origin, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return new ApprovedGroup
        {
            AccountId = accountId,
            Region = region,
            GroupId = groupId,
            GroupName = groupName,
            VpcId = vpcId,
            Rules = rules.Select(r => new ApprovedRule(r, origin, null, now)).ToArray(),
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Writes an approved request's change (Add approves, Remove withdraws, Modify replaces the edited content); false
    /// when written already. Expiry is decision time + duration, so a late or redelivered apply never lengthens access;
    /// a rule already approved keeps the later expiry (permanent wins).
    /// </summary>
    public bool ApplyRequest(ChangeRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (AppliedRequests.Contains(request.Id))
        {
            return false;
        }
        var rules = Rules.ToList();
        var expires = request.AccessUntil;
        switch (request.Kind)
        {
            case ChangeKind.Add:
                foreach (var rule in request.Rules)
                {
                    var index = rules.FindIndex(a => a.Rule.SameAccessAs(rule));
                    if (index < 0)
                    {
                        rules.Add(new ApprovedRule(rule with { RuleId = null }, ApprovalOrigin.Request, request.Id, now, expires));
                    }
                    else if (Later(rules[index].ExpiresAt, expires) != rules[index].ExpiresAt)
                    {
                        // Approving access that is already approved extends it, never shortens it (permanent stays permanent).
                        rules[index] = rules[index] with { RequestId = request.Id, ExpiresAt = Later(rules[index].ExpiresAt, expires) };
                    }
                }
                break;
            case ChangeKind.Remove:
                rules.RemoveAll(a => request.Rules.Any(r => a.Rule.SameAccessAs(r)));
                break;
            case ChangeKind.Modify:
                foreach (var edit in request.Edits)
                {
                    var index = rules.FindIndex(a => a.Rule.RuleId == edit.RuleId);
                    var approved = new ApprovedRule(edit.After with { RuleId = index >= 0 ? edit.RuleId : null }, ApprovalOrigin.Request, request.Id, now, expires);
                    if (index >= 0)
                    {
                        rules[index] = approved;
                    }
                    else if (!rules.Any(a => a.Rule.SameAccessAs(edit.After)))
                    {
                        rules.Add(approved);
                    }
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request.Kind, "Unknown change kind.");
        }
        Rules = rules;
        AppliedRequests = [.. AppliedRequests.TakeLast(199), request.Id];
        UpdatedAt = now;
        return true;
    }

    /// <summary>An exempt principal's change, as far as the live group confirms it: adopt what is there, drop what is gone.</summary>
    public void Adopt(IReadOnlyList<SecurityGroupRule> present, IReadOnlyList<SecurityGroupRule> gone, string requestId, DateTimeOffset now)
    {
        var rules = Rules.ToList();
        rules.RemoveAll(a => gone.Any(g => g.RuleId is not null && a.Rule.RuleId == g.RuleId || a.Rule.SameAccessAs(g)));
        foreach (var rule in present)
        {
            rules.RemoveAll(a => rule.RuleId is not null && a.Rule.RuleId == rule.RuleId);
            rules.Add(new ApprovedRule(rule, ApprovalOrigin.Exempt, requestId, now));
        }
        Rules = rules;
        UpdatedAt = now;
    }

    /// <summary>
    /// Takes back rules adopted at first sight at or after <paramref name="eventTime"/> that a policed change made (first
    /// sight caught it half-way in a burst); removing is the safe direction.
    /// </summary>
    public bool WithdrawAdoptedSince(DateTimeOffset eventTime, Func<SecurityGroupRule, bool> claimed, DateTimeOffset now) =>
        // CloudTrail times are whole seconds: only an adoption a full second after the change is surely after it.
        Remove(a => a.Origin == ApprovalOrigin.Adopted && a.ApprovedAt >= eventTime.AddSeconds(1) && claimed(a.Rule), now).Length > 0;

    /// <summary>Remembers the rule ids AWS gave approved rules (bookkeeping, not approval: the content is unchanged).</summary>
    public bool LearnRuleIds(IReadOnlyList<(SecurityGroupRule Approved, string RuleId)> matches, DateTimeOffset now)
    {
        var changed = false;
        var rules = Rules.ToList();
        foreach (var (approved, ruleId) in matches)
        {
            var index = rules.FindIndex(a => ReferenceEquals(a.Rule, approved) || a.Rule == approved);
            if (index >= 0 && rules[index].Rule.RuleId != ruleId)
            {
                rules[index] = rules[index] with { Rule = rules[index].Rule with { RuleId = ruleId } };
                changed = true;
            }
        }
        if (changed)
        {
            Rules = rules;
            UpdatedAt = now;
        }
        return changed;
    }

    /// <summary>The later of two expiries, where null (permanent) is the latest.</summary>
    public static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null || b is null ? null : a > b ? a : b;

    /// <summary>Takes out every rule whose approval has run out at <paramref name="now"/>; returns what was taken out.</summary>
    public IReadOnlyList<ApprovedRule> RemoveExpired(DateTimeOffset now) => Remove(r => r.ExpiresAt is { } at && at <= now, now);

    /// <summary>Takes back the rules with <paramref name="request"/>'s content that a request approved (not baseline, exempt or
    /// first-sight ones).</summary>
    public IReadOnlyList<ApprovedRule> RevokeAccessOf(ChangeRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var granted = request.GrantedRules;
        return Remove(a => a.Origin == ApprovalOrigin.Request && granted.Any(g => a.Rule.SameAccessAs(g)), now);
    }

    /// <summary>Takes out the rules <paramref name="which"/> selects (removing access is the safe direction); returns them.</summary>
    private ApprovedRule[] Remove(Func<ApprovedRule, bool> which, DateTimeOffset now)
    {
        var gone = Rules.Where(which).ToArray();
        if (gone.Length > 0)
        {
            Rules = Rules.Where(r => !which(r)).ToArray();
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
