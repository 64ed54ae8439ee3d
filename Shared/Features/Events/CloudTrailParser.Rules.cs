using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Events;

public static partial class CloudTrailParser
{
    /// <summary>A rule as EC2 reported it in a response rule set, with the group it belongs to.</summary>
    private sealed record ResponseRule(SecurityGroupRule Rule, string? GroupId);

    /// <summary>The rules a request names: <c>ipPermissions</c>, plus the legacy flat form directly under <c>requestParameters</c>.</summary>
    private static List<SecurityGroupRule> RequestedRules(JsonField parameters)
    {
        var rules = Permissions(parameters, "ipPermissions");
        if (LegacyRule(parameters) is { } legacy) rules.Add(legacy);
        return rules;
    }

    /// <summary>EC2 IpPermission items: one rule per source (a permission with three CIDRs and a group is four rules).</summary>
    private static List<SecurityGroupRule> Permissions(JsonField parent, string name)
    {
        var rules = new List<SecurityGroupRule>();
        foreach (var permission in parent.Items(name))
        {
            if (!permission.IsObject) throw RejectedException.Invalid(permission.Path, $"expected a permission object, got {JsonField.Kind(permission.Element)}");
            var protocol = ProtocolAt(permission, "ipProtocol");
            var (from, to) = PortsAt(permission, protocol, "fromPort", "toPort");
            var before = rules.Count;

            foreach (var range in permission.Items("ipRanges"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.Ipv4(Source(range, "cidrIp", Ipv4At)), Description(range)));
            }
            foreach (var range in permission.Items("ipv6Ranges"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.Ipv6(Source(range, "cidrIpv6", Ipv6At)), Description(range)));
            }
            foreach (var prefixList in permission.Items("prefixListIds"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.PrefixList(Source(prefixList, "prefixListId", PrefixListAt)), Description(prefixList)));
            }
            foreach (var pair in permission.Items("groups"))
            {
                RequireObject(pair);
                // In a default VPC the source group may be named instead of identified.
                var group = GroupIdAt(pair, "groupId") ?? GroupNameAt(pair, "groupName")
                    ?? throw RejectedException.Missing(pair.Child("groupId"), "there is no 'groupName' either");
                var source = new RuleSource(SourceKind.ReferencedGroup, group, UserIdAt(pair, "userId"), pair.Str("vpcId"), pair.Str("vpcPeeringConnectionId"));
                rules.Add(new SecurityGroupRule(protocol, from, to, source, Description(pair)));
            }

            if (rules.Count == before)
            {
                throw RejectedException.Invalid(permission.Path, "the permission names no source (ipRanges, ipv6Ranges, prefixListIds or groups)");
            }
        }
        return rules;
    }

    /// <summary>The pre-IpPermissions form: <c>ipProtocol</c>, <c>fromPort</c>, <c>toPort</c> and <c>cidrIp</c> or <c>sourceSecurityGroupName</c>/<c>sourceSecurityGroupOwnerId</c>.</summary>
    private static SecurityGroupRule? LegacyRule(JsonField parameters)
    {
        var cidr = Ipv4At(parameters, "cidrIp");
        var sourceGroup = GroupNameAt(parameters, "sourceSecurityGroupName");
        if (cidr is null && sourceGroup is null) return null;
        var source = cidr is not null
            ? RuleSource.Ipv4(cidr)
            : new RuleSource(SourceKind.ReferencedGroup, sourceGroup!, UserIdAt(parameters, "sourceSecurityGroupOwnerId"));
        // Without a protocol EC2 grants every protocol (-1), which NormaliseProtocol(null) yields.
        var protocol = parameters.Str("ipProtocol") is null ? SecurityGroupRule.NormaliseProtocol(null) : ProtocolAt(parameters, "ipProtocol");
        var (from, to) = PortsAt(parameters, protocol, "fromPort", "toPort");
        return new SecurityGroupRule(protocol, from, to, source);
    }

    /// <summary>Rules from a response rule set, with their rule ids; a rule whose <c>isEgress</c> contradicts the call's direction
    /// is refused (the event would say two things).</summary>
    private static List<ResponseRule> ResponseRules(JsonField response, string name, SecurityGroupChange change)
    {
        var rules = new List<ResponseRule>();
        var egress = change.Direction == RuleDirection.Egress;
        foreach (var item in response.Items(name))
        {
            RequireObject(item);
            if (item.Bool("isEgress") is { } isEgress && isEgress != egress)
            {
                throw new RejectedException(new ParseResult.Rejection(RejectionKind.Egress,
                    $"Field '{item.Child("isEgress")}' is {(isEgress ? "true" : "false")} but {change.EventName} changes {(egress ? "egress" : "ingress")} rules.") { Field = item.Child("isEgress") });
            }
            var source = Ipv4At(item, "cidrIpv4") is { } v4 ? RuleSource.Ipv4(v4)
                : Ipv6At(item, "cidrIpv6") is { } v6 ? RuleSource.Ipv6(v6)
                : PrefixListAt(item, "prefixListId") is { } pl ? RuleSource.PrefixList(pl)
                : item.GetObject("referencedGroupInfo") is { } info
                    ? new RuleSource(SourceKind.ReferencedGroup, GroupIdAt(info, "groupId") ?? throw RejectedException.Missing(info.Child("groupId")),
                        UserIdAt(info, "userId"), info.Str("vpcId"), info.Str("vpcPeeringConnectionId"))
                : GroupIdAt(item, "referencedGroupId") is { } g ? RuleSource.Group(g)
                : throw RejectedException.Missing(item.Child("cidrIpv4"), "the rule names no source (cidrIpv4, cidrIpv6, prefixListId or referencedGroupInfo)");
            var protocol = ProtocolAt(item, "ipProtocol");
            var (from, to) = PortsAt(item, protocol, "fromPort", "toPort");
            var rule = new SecurityGroupRule(protocol, from, to, source, Description(item), RuleIdAt(item, "securityGroupRuleId"));
            rules.Add(new ResponseRule(rule, GroupIdAt(item, "groupId")));
        }
        return rules;
    }

    private static string Source(JsonField item, string name, Func<JsonField, string, string?> read)
    {
        RequireObject(item);
        return read(item, name) ?? throw RejectedException.Missing(item.Child(name));
    }

    private static string? Description(JsonField item) => DescriptionAt(item, "description");

    private static void RequireObject(JsonField item)
    {
        if (!item.IsObject) throw RejectedException.Invalid(item.Path, $"expected an object, got {JsonField.Kind(item.Element)}");
    }
}
