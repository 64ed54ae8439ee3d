using System.Collections.Concurrent;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;

namespace SgBridge.Tests.Fakes;

/// <summary>
/// A hand-written EC2 stand-in that keeps a group's rules and applies writes with EC2's semantics
/// (revoke by id or exact access, authorise rejects duplicates, modify keeps the rule id).
/// </summary>
public sealed class FakeSecurityGroupClient : ISecurityGroupClient, ISecurityGroupClientFactory
{
    private readonly object _gate = new();
    private int _nextRule = 100;

    public string GroupId { get; init; } = TestData.GroupId;
    public string GroupName { get; init; } = "web";
    public bool GroupExists { get; set; } = true;
    public List<SecurityGroupRule> Rules { get; } = [];
    public ConcurrentQueue<Ec2Write> Writes { get; } = new();

    /// <summary>Every call in order: "describe" or the write's action.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Throw this from the next N writes (a transient AWS failure).</summary>
    public Exception? Throw { get; set; }
    public int ThrowTimes { get; set; }

    /// <summary>Runs during each write, e.g. to let another writer touch the request meanwhile.</summary>
    public Func<Task>? DuringWrite { get; set; }

    /// <summary>Thrown by <see cref="CreateAsync"/>, as the credential cache throws when STS refuses the role.</summary>
    public Exception? Deny { get; set; }

    public Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken) =>
        Deny is null ? Task.FromResult<ISecurityGroupClient>(this) : Task.FromException<ISecurityGroupClient>(Deny);

    public Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken)
    {
        Calls.Enqueue("describe");
        lock (_gate)
        {
            var found = GroupExists && (groupId == GroupId || (groupId is null && groupName == GroupName));
            return Task.FromResult(found
                ? new GroupDescription(GroupId, GroupName, "vpc-0abc", Rules.Where(r => !r.Egress).ToArray())
                {
                    EgressRules = Rules.Where(r => r.Egress).ToArray(),
                    Tags = new Dictionary<string, string>(Tags, StringComparer.Ordinal),
                }
                : null);
        }
    }

    /// <summary>Runs once, at the start of the next <see cref="DescribeRulesAsync"/> (then cleared): another writer's turn at that exact point.</summary>
    public Func<Task>? BeforeNextDescribeRules
    {
        get => _beforeDescribeRules;
        set => _beforeDescribeRules = value;
    }

    public async Task<IReadOnlyList<SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _beforeDescribeRules, null) is { } hook)
        {
            await hook();
        }
        return DescribeRulesNow(groupId);
    }

    private Func<Task>? _beforeDescribeRules;

    private IReadOnlyList<SecurityGroupRule> DescribeRulesNow(string groupId)
    {
        Calls.Enqueue("describe-rules");
        lock (_gate)
        {
            return GroupExists && groupId == GroupId ? Rules.ToArray() : [];
        }
    }

    public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken)
    {
        Calls.Enqueue("describe-region");
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<GroupDescription>>(GroupExists
                ? [new GroupDescription(GroupId, GroupName, "vpc-0abc", Rules.Where(r => !r.Egress).ToArray()) { EgressRules = Rules.Where(r => r.Egress).ToArray() }]
                : []);
        }
    }

    /// <summary>The interfaces the group is attached to (DescribeNetworkInterfaces).</summary>
    public List<NetworkInterfaceInfo> Interfaces { get; } = [];

    /// <summary>The group's tags.</summary>
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    /// <summary>Thrown by the next DescribeNetworkInterfaces / tag read (e.g. the role lacks the permission).</summary>
    public Exception? DescribeInterfacesThrows { get; set; }

    /// <summary>Awaited before DescribeNetworkInterfaces answers (a slow or hung EC2).</summary>
    public Func<CancellationToken, Task>? DescribeInterfacesDelay { get; set; }

    public async Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken)
    {
        Calls.Enqueue("describe-interfaces");
        if (DescribeInterfacesDelay is { } delay)
        {
            await delay(cancellationToken);
        }
        if (DescribeInterfacesThrows is { } ex)
        {
            throw ex;
        }
        lock (_gate)
        {
            return GroupExists && groupId == GroupId ? Interfaces.ToArray() : [];
        }
    }

    /// <summary>Thrown by every DescribeSecurityGroups tag read (throttling, access denied).</summary>
    public Exception? DescribeTagsThrows { get; set; }

    /// <summary>Awaited before a tag read answers (a slow or hung EC2).</summary>
    public Func<CancellationToken, Task>? DescribeTagsDelay { get; set; }

    public async Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken)
    {
        Calls.Enqueue("describe-tags");
        if (DescribeTagsDelay is { } delay)
        {
            await delay(cancellationToken);
        }
        if (DescribeTagsThrows is { } ex)
        {
            throw ex;
        }
        lock (_gate)
        {
            return GroupExists && groupId == GroupId ? new Dictionary<string, string>(Tags) : null;
        }
    }

    public SecurityGroupRule AddExisting(SecurityGroupRule rule)
    {
        lock (_gate)
        {
            var withId = rule with { RuleId = $"sgr-{_nextRule++:x17}" };
            Rules.Add(withId);
            return withId;
        }
    }

    public async Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken)
    {
        if (Throw is not null && ThrowTimes-- > 0)
        {
            throw Throw;
        }
        Writes.Enqueue(write);
        Calls.Enqueue(write.Action);
        if (DuringWrite is { } during)
        {
            await during();
        }
        return Apply(write);
    }

    private CallOutcome Apply(Ec2Write write)
    {
        lock (_gate)
        {
            if (!GroupExists)
            {
                return new CallOutcome(write.Describe(), false, "InvalidGroup.NotFound", "gone");
            }
            switch (write)
            {
                case AuthorizeEgress e:
                    foreach (var n in e.Rules)
                    {
                        AddExisting(n with { Egress = true });
                    }
                    break;
                case RevokeEgressByIds eids:
                    Rules.RemoveAll(r => eids.RuleIds.Contains(r.RuleId!));
                    break;
                case AuthorizeIngress a:
                    if (a.Rules.Any(n => Rules.Any(r => r.SameAccessAs(n))))
                    {
                        return new CallOutcome(write.Describe(), false, "InvalidPermission.Duplicate", "duplicate");
                    }
                    foreach (var n in a.Rules)
                    {
                        AddExisting(n);
                    }
                    break;
                case RevokeIngressByIds ids:
                    if (ids.RuleIds.Any(id => Rules.All(r => r.RuleId != id)))
                    {
                        return new CallOutcome(write.Describe(), false, "InvalidSecurityGroupRuleId.NotFound", "not found");
                    }
                    Rules.RemoveAll(r => ids.RuleIds.Contains(r.RuleId!));
                    break;
                case RevokeIngressByRules byRules:
                    if (byRules.Rules.Any(w => Rules.All(r => !r.SameAccessAs(w))))
                    {
                        return new CallOutcome(write.Describe(), false, "InvalidPermission.NotFound", "not found");
                    }
                    Rules.RemoveAll(r => byRules.Rules.Any(w => w.SameAccessAs(r)));
                    break;
                case ModifyRules m:
                    foreach (var mod in m.Modifications)
                    {
                        var i = Rules.FindIndex(r => r.RuleId == mod.RuleId);
                        if (i < 0)
                        {
                            return new CallOutcome(write.Describe(), false, "InvalidSecurityGroupRuleId.NotFound", "not found");
                        }
                        Rules[i] = mod.After with { RuleId = mod.RuleId };
                    }
                    break;
            }
        }
        return new CallOutcome(write.Describe(), true);
    }
}
