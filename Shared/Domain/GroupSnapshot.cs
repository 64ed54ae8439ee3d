namespace SgBridge.Shared.Domain;

/// <summary>The ingress rules of a group as last seen in an approved state (after a revert or an approved apply).</summary>
public sealed record GroupSnapshot(
    string AccountId,
    string Region,
    string GroupId,
    string? GroupName,
    string? VpcId,
    IReadOnlyList<SecurityGroupRule> Rules,
    DateTimeOffset TakenAt)
{
    public SecurityGroupRule? FindById(string ruleId) => Rules.FirstOrDefault(r => r.RuleId == ruleId);

    public SecurityGroupRule? FindSameAccess(SecurityGroupRule rule) => Rules.FirstOrDefault(r => r.SameAccessAs(rule));
}
