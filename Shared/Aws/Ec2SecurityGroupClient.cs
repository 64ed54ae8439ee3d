using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using DomainRule = SgBridge.Shared.Domain.SecurityGroupRule;
using Ec2Rule = Amazon.EC2.Model.SecurityGroupRule;

namespace SgBridge.Shared.Aws;

/// <summary><see cref="ISecurityGroupClient"/> over one EC2 client (one account, one region).</summary>
public sealed class Ec2SecurityGroupClient(IAmazonEC2 ec2, ILogger<Ec2SecurityGroupClient> logger) : ISecurityGroupClient
{
    public async Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(groupId) && string.IsNullOrWhiteSpace(groupName))
        {
            throw new ArgumentException("A group id or a group name is required.", nameof(groupId));
        }
        var request = string.IsNullOrWhiteSpace(groupId)
            ? new DescribeSecurityGroupsRequest { GroupNames = [groupName!] }
            : new DescribeSecurityGroupsRequest { GroupIds = [groupId] };
        if (await DescribeOneAsync(request, cancellationToken).ConfigureAwait(false) is not { } group)
        {
            return null;
        }
        var rules = await DescribeRulesAsync(group.GroupId, cancellationToken).ConfigureAwait(false);
        // The answer carries the tags: no extra call (a policy's groupTags condition may use them).
        return Describe(group, rules) with { Tags = TagsOf(group) };
    }

    /// <summary>The one group <paramref name="request"/> names, or null when EC2 has none.</summary>
    private async Task<SecurityGroup?> DescribeOneAsync(DescribeSecurityGroupsRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await ec2.DescribeSecurityGroupsAsync(request, cancellationToken).ConfigureAwait(false);
            return response.SecurityGroups?.FirstOrDefault();
        }
        catch (AmazonEC2Exception ex) when (Ec2ErrorText.Normalise(ex.ErrorCode) == "InvalidGroup.NotFound")
        {
            return null;
        }
    }

    private static GroupDescription Describe(SecurityGroup group, IReadOnlyCollection<DomainRule> rules) =>
        new(group.GroupId, group.GroupName, group.VpcId, rules.Where(r => !r.Egress).ToArray())
        {
            EgressRules = rules.Where(r => r.Egress).ToArray(),
        };

    public async Task<IReadOnlyList<DomainRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var rules = await DescribeRulesPagedAsync([new Filter("group-id", [groupId])], cancellationToken).ConfigureAwait(false);
        return rules.Select(r => r.Rule).ToArray();
    }

    public async Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken)
    {
        var groups = await PagedAsync<SecurityGroup>(async next =>
        {
            var page = await ec2.DescribeSecurityGroupsAsync(new() { MaxResults = 1000, NextToken = next }, cancellationToken)
                .ConfigureAwait(false);
            return (page.SecurityGroups ?? [], page.NextToken);
        }).ConfigureAwait(false);
        var byGroup = (await DescribeRulesPagedAsync(null, cancellationToken).ConfigureAwait(false))
            .GroupBy(r => r.GroupId, r => r.Rule)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        return groups.Select(g => Describe(g, byGroup.GetValueOrDefault(g.GroupId) ?? [])).ToArray();
    }

    private Task<List<(string GroupId, DomainRule Rule)>> DescribeRulesPagedAsync(List<Filter>? filters,
        CancellationToken cancellationToken) =>
        PagedAsync(async next =>
        {
            var request = new DescribeSecurityGroupRulesRequest { Filters = filters, MaxResults = 1000, NextToken = next };
            var page = await ec2.DescribeSecurityGroupRulesAsync(request, cancellationToken).ConfigureAwait(false);
            return ((page.SecurityGroupRules ?? []).Select(r => (r.GroupId, Ec2Mapping.ToDomain(r))), page.NextToken);
        });

    public async Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return await PagedAsync(async next =>
        {
            var request = new DescribeNetworkInterfacesRequest { Filters = [new("group-id", [groupId])], MaxResults = 1000, NextToken = next };
            var page = await ec2.DescribeNetworkInterfacesAsync(request, cancellationToken).ConfigureAwait(false);
            return ((page.NetworkInterfaces ?? []).Select(Ec2Mapping.ToInterface), page.NextToken);
        }).ConfigureAwait(false);
    }

    /// <summary>Every page of a paginated describe, following NextToken until EC2 returns none.</summary>
    private static async Task<List<T>> PagedAsync<T>(Func<string?, Task<(IEnumerable<T> Items, string? Next)>> page)
    {
        var items = new List<T>();
        string? next = null;
        do
        {
            var (found, token) = await page(next).ConfigureAwait(false);
            items.AddRange(found);
            next = token;
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }

    private static Dictionary<string, string> TagsOf(SecurityGroup group) =>
        (group.Tags ?? []).Where(t => t.Key is not null).GroupBy(t => t.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Value ?? "", StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var group = await DescribeOneAsync(new() { GroupIds = [groupId] }, cancellationToken).ConfigureAwait(false);
        return group is null ? null : TagsOf(group);
    }

    public async Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (call, ct) = (write.Describe(), cancellationToken);
        try
        {
            var outcome = write switch
            {
                AuthorizeIngress a => Answered(call, await ec2.AuthorizeSecurityGroupIngressAsync(
                    new() { GroupId = a.GroupId, IpPermissions = Ec2Mapping.ToIpPermissions(a.Rules) }, ct).ConfigureAwait(false)),
                AuthorizeEgress a => Answered(call, await ec2.AuthorizeSecurityGroupEgressAsync(
                    new() { GroupId = a.GroupId, IpPermissions = Ec2Mapping.ToIpPermissions(a.Rules) }, ct).ConfigureAwait(false)),
                RevokeIngressByIds r => Answered(call, await ec2.RevokeSecurityGroupIngressAsync(
                    new() { GroupId = r.GroupId, SecurityGroupRuleIds = [.. r.RuleIds] }, ct).ConfigureAwait(false)),
                RevokeIngressByRules r => Answered(call, await ec2.RevokeSecurityGroupIngressAsync(
                    new() { GroupId = r.GroupId, IpPermissions = Ec2Mapping.ToIpPermissions(r.Rules) }, ct).ConfigureAwait(false)),
                RevokeEgressByIds r => Answered(call, await ec2.RevokeSecurityGroupEgressAsync(
                    new() { GroupId = r.GroupId, SecurityGroupRuleIds = [.. r.RuleIds] }, ct).ConfigureAwait(false)),
                ModifyRules m => Answered(call, await ec2.ModifySecurityGroupRulesAsync(new()
                {
                    GroupId = m.GroupId,
                    SecurityGroupRules = [.. m.Modifications.Select(x => new SecurityGroupRuleUpdate { SecurityGroupRuleId = x.RuleId, SecurityGroupRule = Ec2Mapping.ToRuleRequest(x.After) })],
                }, ct).ConfigureAwait(false)),
                _ => throw new NotSupportedException($"Unknown EC2 write {write.GetType().Name}."),
            };
            if (outcome.Succeeded)
            {
                AwsLog.WriteSucceeded(logger, write.Action, write.GroupId);
            }
            else
            {
                AwsLog.WriteFailed(logger, write.Action, write.GroupId, outcome.ErrorCode ?? "");
            }
            return outcome;
        }
        catch (AmazonEC2Exception ex) when (Ec2ErrorText.IsPermanent(ex.ErrorCode, (int)ex.StatusCode))
        {
            var code = Ec2ErrorText.Normalise(ex.ErrorCode);
            if (AlreadyDoneCodes.Contains(code) && await AlreadyInEffectAsync(write, cancellationToken).ConfigureAwait(false) is { } done)
            {
                // The effect is what the group shows: a lost response's retry (the SDK's or the queue's) is answered
                // "duplicate" or "not found" for a call that took effect. The live group, not the error, decides.
                AwsLog.WriteSucceeded(logger, write.Action, write.GroupId);
                return new CallOutcome(call, true) { Notes = [$"{done} ({code} on this call; the live group confirms the effect)"] };
            }
            AwsLog.WriteFailed(logger, write.Action, write.GroupId, code);
            return new CallOutcome(call, false, code, $"{Ec2ErrorText.Explain(code)} AWS: {ex.Message}");
        }
        catch (AmazonEC2Exception ex)
        {
            AwsLog.WriteTransient(logger, write.Action, write.GroupId, ex.ErrorCode ?? "", (int)ex.StatusCode);
            throw;
        }
    }

    /// <summary>Errors a call that already took effect is answered with when it is sent again.</summary>
    private static readonly HashSet<string> AlreadyDoneCodes = new(StringComparer.Ordinal)
    {
        "InvalidPermission.Duplicate", "InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound",
    };

    /// <summary>
    /// After a duplicate/not-found answer, whether the live group shows the write's whole effect in place (null: the error
    /// stands; always for a modify, whose content change the error does not speak for).
    /// </summary>
    private async Task<string?> AlreadyInEffectAsync(Ec2Write write, CancellationToken cancellationToken)
    {
        if (write is ModifyRules)
        {
            return null;
        }
        IReadOnlyList<DomainRule> live;
        try
        {
            live = await DescribeRulesAsync(write.GroupId, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception)
        {
            return null; // cannot check: the original error stands
        }
        bool Present(DomainRule wanted, bool egress) => live.Any(l => l.SameAccessAs(wanted with { Egress = egress }));
        return write switch
        {
            AuthorizeIngress a when a.Rules.All(r => Present(r, false)) => "already in place",
            AuthorizeEgress a when a.Rules.All(r => Present(r, true)) => "already in place",
            RevokeIngressByIds r when !live.Any(l => l.RuleId is not null && r.RuleIds.Contains(l.RuleId)) => "already gone",
            RevokeEgressByIds r when !live.Any(l => l.RuleId is not null && r.RuleIds.Contains(l.RuleId)) => "already gone",
            RevokeIngressByRules r when !r.Rules.Any(x => Present(x, false)) => "already gone",
            _ => null,
        };
    }

    private static CallOutcome Answered(string call, AuthorizeSecurityGroupIngressResponse r) => Authorized(call, r.Return, r.SecurityGroupRules);

    private static CallOutcome Answered(string call, AuthorizeSecurityGroupEgressResponse r) => Authorized(call, r.Return, r.SecurityGroupRules);

    private static CallOutcome Answered(string call, RevokeSecurityGroupIngressResponse r) =>
        Revoked(call, r.Return, r.RevokedSecurityGroupRules, r.UnknownIpPermissions);

    private static CallOutcome Answered(string call, RevokeSecurityGroupEgressResponse r) =>
        Revoked(call, r.Return, r.RevokedSecurityGroupRules, r.UnknownIpPermissions);

    private static CallOutcome Answered(string call, ModifySecurityGroupRulesResponse r) =>
        Answered(call, r.Return, "ModifyReturnedFalse", "EC2 answered the modify with return=false: nothing was changed.", []);

    /// <summary>The notes name the ingress rules created (an egress authorize's are left out).</summary>
    private static CallOutcome Authorized(string call, bool? returned, List<Ec2Rule>? created) =>
        Answered(call, returned, "AuthorizeReturnedFalse", "EC2 answered the authorize with return=false.",
            [.. (created ?? []).Where(r => r.IsEgress != true).Select(r => $"created {r.SecurityGroupRuleId}: {Ec2Mapping.ToDomain(r).Describe()}")]);

    /// <summary>Default VPC: a revoke that matches nothing is not an error, so the response decides.</summary>
    private static CallOutcome Revoked(string call, bool? returned, List<RevokedSecurityGroupRule>? rules, List<IpPermission>? unknownPermissions)
    {
        string[] revoked = [.. (rules ?? []).Select(r => $"revoked {r.SecurityGroupRuleId}")];
        var unknown = (unknownPermissions ?? []).SelectMany(Ec2Mapping.FromIpPermission).Select(r => r.Describe()).ToArray();
        return unknown.Length == 0
            ? Answered(call, returned, "RevokeReturnedFalse", Ec2ErrorText.Explain("RevokeReturnedFalse"), revoked)
            : new CallOutcome(call, false, "UnknownIpPermissions", $"{Ec2ErrorText.Explain("UnknownIpPermissions")} Not found: {string.Join("; ", unknown)}")
            {
                Notes = [.. revoked, .. unknown.Select(u => "not found: " + u)],
            };
    }

    /// <summary>EC2's answer to a write: <c>return=false</c> fails with <paramref name="code"/>.</summary>
    private static CallOutcome Answered(string call, bool? returned, string code, string message, IReadOnlyList<string> notes) =>
        returned == false ? new CallOutcome(call, false, code, message) { Notes = notes } : new CallOutcome(call, true) { Notes = notes };
}

/// <summary>Translation between the domain's rules and the EC2 model.</summary>
internal static class Ec2Mapping
{
    public static DomainRule ToDomain(Ec2Rule rule)
    {
        var protocol = DomainRule.NormaliseProtocol(rule.IpProtocol);
        var source = rule switch
        {
            { CidrIpv4: { Length: > 0 } v4 } => RuleSource.Ipv4(v4),
            { CidrIpv6: { Length: > 0 } v6 } => RuleSource.Ipv6(v6),
            { PrefixListId: { Length: > 0 } pl } => RuleSource.PrefixList(pl),
            { ReferencedGroupInfo: { } g } => new RuleSource(SourceKind.ReferencedGroup, g.GroupId ?? "", g.UserId, g.VpcId, g.VpcPeeringConnectionId),
            _ => throw new InvalidOperationException($"Security group rule {rule.SecurityGroupRuleId} has no source."),
        };
        var (from, to) = protocol == "-1" ? ((int?)null, (int?)null) : (rule.FromPort, rule.ToPort);
        return new DomainRule(protocol, from, to, source, string.IsNullOrEmpty(rule.Description) ? null : rule.Description, rule.SecurityGroupRuleId)
        {
            Egress = rule.IsEgress == true,
        };
    }

    public static NetworkInterfaceInfo ToInterface(NetworkInterface n) =>
        new(n.NetworkInterfaceId ?? "", n.InterfaceType?.Value, n.RequesterManaged == true, string.IsNullOrEmpty(n.Description) ? null : n.Description,
            n.Attachment?.InstanceId is { Length: > 0 } instance ? instance : null,
            n.Association?.PublicIp is { Length: > 0 } ip ? ip : null)
        {
            PublicIpOwner = n.Association?.IpOwnerId,
            Ipv6Addresses = (n.Ipv6Addresses ?? []).Select(a => a.Ipv6Address).Where(a => !string.IsNullOrEmpty(a)).ToArray(),
            RequesterId = string.IsNullOrEmpty(n.RequesterId) ? null : n.RequesterId,
        };

    /// <summary>Rules with the same protocol and ports share one IpPermission, as the console sends them.</summary>
    public static List<IpPermission> ToIpPermissions(IEnumerable<DomainRule> rules) =>
        rules.GroupBy(r => (r.Protocol, From: r.IsAllTraffic ? null : r.FromPort, To: r.IsAllTraffic ? null : r.ToPort))
            .Select(g =>
            {
                var permission = new IpPermission { IpProtocol = g.Key.Protocol, FromPort = g.Key.From, ToPort = g.Key.To };
                foreach (var rule in g)
                {
                    var (value, description) = (rule.Source.Value, string.IsNullOrEmpty(rule.Description) ? null : rule.Description);
                    switch (rule.Source.Kind)
                    {
                        case SourceKind.Ipv4Cidr: (permission.Ipv4Ranges ??= []).Add(new() { CidrIp = value, Description = description }); break;
                        case SourceKind.Ipv6Cidr: (permission.Ipv6Ranges ??= []).Add(new() { CidrIpv6 = value, Description = description }); break;
                        case SourceKind.PrefixList: (permission.PrefixListIds ??= []).Add(new() { Id = value, Description = description }); break;
                        case SourceKind.ReferencedGroup:
                            (permission.UserIdGroupPairs ??= []).Add(new() { GroupId = value, UserId = rule.Source.UserId, Description = description });
                            break;
                        default: throw new NotSupportedException($"Unknown source kind {rule.Source.Kind}.");
                    }
                }
                return permission;
            })
            .ToList();

    public static IEnumerable<DomainRule> FromIpPermission(IpPermission p)
    {
        var protocol = DomainRule.NormaliseProtocol(p.IpProtocol);
        var (from, to) = protocol == "-1" ? ((int?)null, (int?)null) : (p.FromPort, p.ToPort);
        foreach (var r in p.Ipv4Ranges ?? []) yield return new DomainRule(protocol, from, to, RuleSource.Ipv4(r.CidrIp), r.Description);
        foreach (var r in p.Ipv6Ranges ?? []) yield return new DomainRule(protocol, from, to, RuleSource.Ipv6(r.CidrIpv6), r.Description);
        foreach (var r in p.PrefixListIds ?? []) yield return new DomainRule(protocol, from, to, RuleSource.PrefixList(r.Id), r.Description);
        foreach (var r in p.UserIdGroupPairs ?? []) yield return new DomainRule(protocol, from, to, RuleSource.Group(r.GroupId, r.UserId), r.Description);
    }

    public static SecurityGroupRuleRequest ToRuleRequest(DomainRule rule)
    {
        var request = new SecurityGroupRuleRequest
        {
            IpProtocol = rule.Protocol,
            FromPort = rule.IsAllTraffic ? -1 : rule.FromPort,
            ToPort = rule.IsAllTraffic ? -1 : rule.ToPort,
            Description = rule.Description,
        };
        switch (rule.Source.Kind)
        {
            case SourceKind.Ipv4Cidr: request.CidrIpv4 = rule.Source.Value; break;
            case SourceKind.Ipv6Cidr: request.CidrIpv6 = rule.Source.Value; break;
            case SourceKind.PrefixList: request.PrefixListId = rule.Source.Value; break;
            case SourceKind.ReferencedGroup: request.ReferencedGroupId = rule.Source.Value; break;
            default: throw new NotSupportedException($"Unknown source kind {rule.Source.Kind}.");
        }
        return request;
    }
}
