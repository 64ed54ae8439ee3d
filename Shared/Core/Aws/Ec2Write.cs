using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>One EC2 write call on one group's ingress rules.</summary>
public abstract record Ec2Write(string GroupId)
{
    public abstract string Action { get; }

    /// <summary>The call as an operator reads it: action, group and arguments.</summary>
    public abstract string Describe();
}

public sealed record AuthorizeIngress(string GroupId, IReadOnlyList<SecurityGroupRule> Rules) : Ec2Write(GroupId)
{
    public override string Action => "ec2:AuthorizeSecurityGroupIngress";
    public override string Describe() => $"{Action} GroupId={GroupId} IpPermissions=[{string.Join("; ", Rules.Select(r => r.Describe()))}]";
}

public sealed record RevokeIngressByIds(string GroupId, IReadOnlyList<string> RuleIds) : Ec2Write(GroupId)
{
    public override string Action => "ec2:RevokeSecurityGroupIngress";
    public override string Describe() => $"{Action} GroupId={GroupId} SecurityGroupRuleIds=[{string.Join(", ", RuleIds)}]";
}

public sealed record RevokeIngressByRules(string GroupId, IReadOnlyList<SecurityGroupRule> Rules) : Ec2Write(GroupId)
{
    public override string Action => "ec2:RevokeSecurityGroupIngress";
    public override string Describe() => $"{Action} GroupId={GroupId} IpPermissions=[{string.Join("; ", Rules.Select(r => r.Describe()))}]";
}

public sealed record ModifyRules(string GroupId, IReadOnlyList<RuleModification> Modifications) : Ec2Write(GroupId)
{
    public override string Action => "ec2:ModifySecurityGroupRules";
    public override string Describe() => $"{Action} GroupId={GroupId} SecurityGroupRules=[{string.Join("; ", Modifications.Select(m => $"{m.RuleId} -> {m.After.Describe()}"))}]";
}

public sealed record AuthorizeEgress(string GroupId, IReadOnlyList<SecurityGroupRule> Rules) : Ec2Write(GroupId)
{
    public override string Action => "ec2:AuthorizeSecurityGroupEgress";
    public override string Describe() => $"{Action} GroupId={GroupId} IpPermissions=[{string.Join("; ", Rules.Select(r => r.Describe()))}]";
}

public sealed record RevokeEgressByIds(string GroupId, IReadOnlyList<string> RuleIds) : Ec2Write(GroupId)
{
    public override string Action => "ec2:RevokeSecurityGroupEgress";
    public override string Describe() => $"{Action} GroupId={GroupId} SecurityGroupRuleIds=[{string.Join(", ", RuleIds)}]";
}
